// Draws the Kota Cerdas app icons into static/img with nothing but Node (no image library):
//   icon.svg, icon-192.png, icon-512.png, icon-maskable-512.png, favicon-32.png
// The PNGs are committed; run `node scripts/make_icons.mjs` again after changing the design.
// One list of shapes in a 100×100 box drives both the SVG and the rasteriser, so they match.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const BRAND = "#0b6e4f";
const SHAPES = [
  // three buildings on a street and a sun: a city, plainly
  { kind: "rect", x: 21, y: 46, w: 17, h: 36, r: 2, fill: "#ffffff" },
  { kind: "rect", x: 41.5, y: 28, w: 17, h: 54, r: 2, fill: "#ffffff" },
  { kind: "rect", x: 62, y: 52, w: 17, h: 30, r: 2, fill: "#ffffff" },
  { kind: "rect", x: 15, y: 80, w: 70, h: 5, r: 2.5, fill: "#ffffff" },
  { kind: "rect", x: 46, y: 36, w: 8, h: 6, r: 1, fill: BRAND },
  { kind: "rect", x: 46, y: 48, w: 8, h: 6, r: 1, fill: BRAND },
  { kind: "rect", x: 46, y: 60, w: 8, h: 6, r: 1, fill: BRAND },
  { kind: "circle", cx: 75, cy: 29, r: 8.5, fill: "#f5b700" },
];

function hex(c) {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}

// Signed distance to a rounded rectangle / circle (negative inside), in box units.
function sdf(shape, x, y) {
  if (shape.kind === "circle") return Math.hypot(x - shape.cx, y - shape.cy) - shape.r;
  const hw = shape.w / 2, hh = shape.h / 2, r = shape.r || 0;
  const qx = Math.abs(x - (shape.x + hw)) - (hw - r);
  const qy = Math.abs(y - (shape.y + hh)) - (hh - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

// maskable: the background fills the square and the drawing keeps to the 80 % safe zone.
function layers(maskable) {
  const bg = maskable
    ? { kind: "rect", x: 0, y: 0, w: 100, h: 100, r: 0, fill: BRAND }
    : { kind: "rect", x: 0, y: 0, w: 100, h: 100, r: 22, fill: BRAND };
  const scale = maskable ? 0.78 : 1;
  const k = (v) => 50 + (v - 50) * scale;
  const fg = SHAPES.map((s) =>
    s.kind === "circle"
      ? { ...s, cx: k(s.cx), cy: k(s.cy), r: s.r * scale }
      : { ...s, x: k(s.x), y: k(s.y), w: s.w * scale, h: s.h * scale, r: s.r * scale }
  );
  return [bg, ...fg];
}

function raster(size, maskable) {
  const shapes = layers(maskable).map((s) => ({ ...s, rgb: hex(s.fill) }));
  const ss = 4; // 4×4 supersampling
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    rows[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = ((px + (sx + 0.5) / ss) / size) * 100;
          const y = ((py + (sy + 0.5) / ss) / size) * 100;
          let cr = 0, cg = 0, cb = 0, ca = 0;
          for (const s of shapes) {
            if (sdf(s, x, y) <= 0) { [cr, cg, cb] = s.rgb; ca = 1; }
          }
          r += cr * ca; g += cg * ca; b += cb * ca; a += ca;
        }
      }
      const o = py * (size * 4 + 1) + 1 + px * 4;
      const n = ss * ss;
      rows[o] = a ? Math.round(r / a) : 0;
      rows[o + 1] = a ? Math.round(g / a) : 0;
      rows[o + 2] = a ? Math.round(b / a) : 0;
      rows[o + 3] = Math.round((a / n) * 255);
    }
  }
  return png(size, size, rows);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(width, height, rows) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function svg() {
  const el = layers(false).map((s) =>
    s.kind === "circle"
      ? `<circle cx="${s.cx}" cy="${s.cy}" r="${s.r}" fill="${s.fill}"/>`
      : `<rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" rx="${s.r}" fill="${s.fill}"/>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${el.join("")}</svg>\n`;
}

const out = new URL("../static/img/", import.meta.url);
writeFileSync(new URL("icon.svg", out), svg());
writeFileSync(new URL("favicon-32.png", out), raster(32, false));
writeFileSync(new URL("icon-192.png", out), raster(192, false));
writeFileSync(new URL("icon-512.png", out), raster(512, false));
writeFileSync(new URL("icon-maskable-512.png", out), raster(512, true));
console.log("icons written to static/img/");
