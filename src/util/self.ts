/**
 * This minictr's own command, for what runs it again: the container monitor's callbacks
 * (runtime/start.ts), the systemd unit of `system service` and a lab's container nodes
 * (network/lab/topology/containers.ts).
 * Two levels below the checkout, as src/util/ and dist/util/ are, and the bundle's
 * dist/bundle/main.cjs too: one relative path serves all three.
 */
import { besideModule } from './module-path.js';

export const MINICTR_BIN = besideModule(import.meta.url, '..', '..', 'bin', 'minictr');
