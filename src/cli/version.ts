/** minictr's version, as `minictr --version` prints it (commander's .version() and the
 * version bundle, version-main.ts, both print this). */
export const VERSION = '0.1.0';
