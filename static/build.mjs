// Bundles static/src into static/dist (minified, no source maps in the repo).
import { build } from "esbuild";

const entryPoints = [
  { in: "static/src/app.js", out: "app" },
  { in: "static/src/app.css", out: "app" },
  { in: "static/src/map.js", out: "map" },
];

await build({
  entryPoints,
  outdir: "static/dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome80", "firefox78", "safari13"],
  loader: { ".png": "file", ".svg": "file" },
  assetNames: "assets/[name]-[hash]",
  logLevel: "warning",
});
