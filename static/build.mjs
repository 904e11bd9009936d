// Bundles static/src into static/dist (minified, no source maps in the repo).
// One entry per page need: app (every page: htmx + design system), map (Leaflet pages),
// charts (Council dashboard and open data only: uPlot stays off the citizen's 3G path).
import { build } from "esbuild";

const entryPoints = [
  { in: "static/src/app.js", out: "app" },
  { in: "static/src/app.css", out: "app" },
  { in: "static/src/map.js", out: "map" },
  { in: "static/src/regions-map.js", out: "regions-map" },
  { in: "static/src/reports-map.js", out: "reports-map" },
  { in: "static/src/charts.js", out: "charts" },
  { in: "static/src/emergency-call.js", out: "emergency-call" },
  { in: "static/src/emergency-board.js", out: "emergency-board" },
  { in: "static/src/emergency-crew.js", out: "emergency-crew" },
  { in: "static/src/fires-map.js", out: "fires-map" },
  { in: "static/src/fires-check.js", out: "fires-check" },
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
