/**
 * A store file minictr cannot use (unparseable, invalid, pointing at something missing), as
 * `minictr system check` lists it: what it is, where, what is wrong, what the user can do.
 * Every store (images, containers, networks) reports its broken records in this one shape.
 */
export interface BrokenRecord { kind: string; path: string; problem: string; fix: string }
