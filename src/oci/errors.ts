/**
 * minictr-oci's errors. Engines read a runtime's failures as text and match a few of runc's
 * phrases ("does not exist", "container not running", "not stopped"), so those are kept
 * word for word; `kind` lets the CLI map them to runc's exit statuses.
 */
import { MinictrError } from '../errors.js';

export type OciErrorKind = 'not-found' | 'not-running' | 'usage' | 'failed';

export class OciError extends MinictrError {
  constructor(
    message: string,
    readonly kind: OciErrorKind = 'failed',
  ) {
    super(message, 1);
  }
}
