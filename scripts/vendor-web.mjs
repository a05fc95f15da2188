// Copies the npm packages the web app ships into WebGateway/wwwroot, where they are committed: the gateway then runs
// from a fresh clone with `dotnet run --project WebGateway` and no npm step. Run after changing package.json:
//   npm ci && node scripts/vendor-web.mjs
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const copies = [
  // Twemoji as a COLR web font: emoji in colour on systems that have no emoji font of their own (site.css names it
  // last in the font stack, for the emoji ranges only).
  ['node_modules/twemoji-colr-font/twemoji.woff2', 'WebGateway/wwwroot/fonts/twemoji.woff2'],
  ['node_modules/twemoji-colr-font/LICENSE', 'WebGateway/wwwroot/fonts/twemoji.LICENSE.txt'],
];
for (const [from, to] of copies) {
  mkdirSync(dirname(join(root, to)), { recursive: true });
  copyFileSync(join(root, from), join(root, to));
  console.log(`${from} -> ${to}`);
}
