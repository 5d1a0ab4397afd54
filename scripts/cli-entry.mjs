// Entry point for the compiled vireo CLI (scripts/build-cli.sh); the Node path is bin/vireo.
import { run } from '../dist/src/cli/main.js';
void run();
