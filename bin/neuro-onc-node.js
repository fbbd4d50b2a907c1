#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
void require('../dist/cli/main.js').main(process.argv);
