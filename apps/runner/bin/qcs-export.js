#!/usr/bin/env node
// The installed command. It lives outside dist/ so that `pnpm install` links it on a fresh clone before anything
// is built; it only loads the build.
import '../dist/cli.js';
