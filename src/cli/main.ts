#!/usr/bin/env node
/**
 * The `graph-presence` command. Until the server lands (gateway issue) it only reports its
 * version, so `npx graph-presence` is already a real, working entry point.
 */
import { VERSION } from '../version.js';

process.stdout.write(`graph-presence ${VERSION}: the server is not built yet; see README.md\n`);
