#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
require('../dist/cli/main.js');
