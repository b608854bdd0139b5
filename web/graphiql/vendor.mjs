// Copies the browser builds GraphiQL needs from node_modules into the Python package, so the
// service serves GraphiQL from its own origin with no CDN. Run after `npm ci` in this folder:
//   node vendor.mjs   (writes ../../api/graphiql/assets/vendor, replacing what was there)
// Fonts and images inlined in GraphiQL's CSS as data: URIs become files (the page's CSP allows only 'self'),
// source map comments are dropped (the maps are not shipped), and manifest.json records each
// file's package, version and SHA-256; THIRD_PARTY_LICENSES.txt holds every installed package's licence.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "..", "api", "graphiql", "assets", "vendor");

const FILES = [
  ["react", "umd/react.production.min.js", "react.production.min.js"],
  ["react-dom", "umd/react-dom.production.min.js", "react-dom.production.min.js"],
  ["graphql-ws", "umd/graphql-ws.min.js", "graphql-ws.min.js"],
  ["graphiql", "graphiql.min.js", "graphiql.min.js"],
  ["graphiql", "graphiql.min.css", "graphiql.min.css"],
];

const EXTENSIONS = { "svg+xml": "svg", jpeg: "jpg" };
const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const version = (name) => JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")).version;
const withoutSourceMaps = (text) =>
  text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n").replace(/\/\*# sourceMappingURL=[^*]*\*\//g, "");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "fonts"), { recursive: true });
mkdirSync(join(out, "images"), { recursive: true });
const manifest = { packages: {}, files: [] };

function write(path, data, from) {
  writeFileSync(join(out, path), data);
  manifest.files.push({ path, from, bytes: Buffer.byteLength(data), sha256: sha256(data) });
}

for (const [name, source, target] of FILES) {
  manifest.packages[name] = version(name);
  let text = withoutSourceMaps(readFileSync(join(modules, name, source), "utf8"));
  if (target.endsWith(".css")) {
    text = text.replace(/url\(\s*["']?data:(font|image)\/([a-z0-9.+-]+);base64,([A-Za-z0-9+/=]+)["']?\s*\)/g, (_, kind, type, data) => {
      const bytes = Buffer.from(data, "base64");
      const file = `${kind === "font" ? "fonts" : "images"}/${sha256(bytes).slice(0, 16)}.${EXTENSIONS[type] ?? type}`;
      if (!existsSync(join(out, file))) write(file, bytes, `${name}/${source} (inlined ${kind})`);
      return `url(${file})`;
    });
  }
  write(target, text, `${name}/${source}`);
}

// Every installed package's licence: the GraphiQL bundle includes its dependencies' code.
function packagesIn(folder) {
  const found = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.name.startsWith("@")) found.push(...packagesIn(path));
    else if (existsSync(join(path, "package.json"))) found.push(path);
  }
  return found;
}
const licences = [];
for (const path of packagesIn(modules).sort()) {
  const meta = JSON.parse(readFileSync(join(path, "package.json"), "utf8"));
  const file = readdirSync(path).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  const text = file ? readFileSync(join(path, file), "utf8").trim() : `License: ${meta.license ?? "unknown"}`;
  licences.push(`${"=".repeat(78)}\n${meta.name}@${meta.version}\n${"=".repeat(78)}\n${text}\n`);
}
write("THIRD_PARTY_LICENSES.txt", licences.join("\n"), "node_modules/*/LICENSE");

manifest.files.sort((a, b) => a.path.localeCompare(b.path));
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`vendored ${manifest.files.length} files into ${out}`);
