/** The vireo version the CLI reports (`vireo -v`, `version`); a unit test keeps it equal to package.json. */
export const VERSION = '0.1.0';
