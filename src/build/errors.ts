/** The build's own errors (apart from build.ts, so that the lazily loaded steps can throw them). */
import { MinictrError } from '../errors.js';

/** A failed RUN: the instruction, its status (the output was shown above). */
export class RunFailedError extends MinictrError {}

/** Any other failure of a step, named with its file and line. */
export class StepError extends MinictrError {}
