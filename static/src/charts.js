/* Kota Cerdas charts (static/dist/charts.js + charts.css), drawn with uPlot (~50 KB min,
   canvas, no dependencies).

   THE CONTRACT. A chart is a <figure> whose data is in the markup twice: as JSON for this
   script and as a real table for everyone else (no JavaScript, screen readers, export,
   printing). Render it with the template tag, which writes both from one dict:

     {% load kc %}{% chart spec caption=_("Reports per kecamatan") source="…" %}

   or by hand, keeping this shape:

     <figure class="chart" data-chart='{"type": "bar", "labels": ["Baamang", "Seranau"],
             "series": [{"label": "2024", "values": [12, 7]}], "unit": "%"}'>
       <figcaption>Title <small>source / note</small></figcaption>
       <details class="chart-data" open>
         <summary>Data table</summary>
         <div class="table-scroll"><table class="table">…one row per label, one column per
           series…</table></div>
       </details>
     </figure>

   JSON keys:
     type    "bar" (vertical; becomes horizontal by itself when there are more than 8 labels
             or when the labels would not fit side by side, e.g. on a phone), "hbar" (always horizontal: 17 kecamatan, long names),
             "line" (ordered labels: months, years).
     labels  category names, in display order.
     label_title  optional heading of the label column in the table ("Kecamatan").
     series  [{label, values: [number|null, …] (one per label), color?: "#hex"}]; several
             series are drawn side by side (bar) or as several lines.
     unit    optional suffix for values ("%", "min", "t"); decimals: optional digits (default:
             up to 1).
     min/max optional fixed value axis bounds (default: 0 … a little above the largest value).
     height  optional pixel height of the plot area (default 260, or by label count for hbar).

   After drawing, the figure gets .is-drawn and the table's <details> is closed (still one tap
   away). If the JSON is bad or the browser lacks canvas, nothing changes: the table stays. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./charts.css"; // our adjustments, after uPlot's own rules

const PALETTE = ["#0b6e4f", "#1d4ed8", "#d97706", "#a3195b", "#6d28d9", "#0f6f6a", "#64748b"];
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const INK = "#4a5565";
const GRID = "#e5e9ef";

const lang = document.documentElement.lang || "id";
// Axis ticks carry only "%"; other units ("menit") are in the legend and caption.
function formatter(spec, onAxis) {
  const nf = new Intl.NumberFormat(lang, { maximumFractionDigits: spec.decimals ?? 1 });
  const unit = !spec.unit ? "" : spec.unit === "%" ? "%" : onAxis ? "" : " " + spec.unit;
  return (v) => (v == null || Number.isNaN(v) ? "–" : nf.format(v) + unit);
}

let measureCtx;
function textWidth(text) {
  measureCtx = measureCtx || document.createElement("canvas").getContext("2d");
  measureCtx.font = FONT;
  return measureCtx.measureText(String(text)).width;
}

function truncate(text, maxPx) {
  let s = String(text);
  if (textWidth(s) <= maxPx) return s;
  while (s.length > 1 && textWidth(s + "…") > maxPx) s = s.slice(0, -1);
  return s + "…";
}

function chartOptions(spec, width, horizontal) {
  const labels = spec.labels;
  const n = labels.length;
  const m = spec.series.length;
  const fmt = formatter(spec);
  const axisFmt = formatter(spec, true);
  const isBar = spec.type !== "line";
  const allValues = spec.series.flatMap((s) => s.values).filter((v) => v != null);
  const dataMax = Math.max(0, ...allValues);
  const dataMin = Math.min(0, ...allValues);
  const vMax = spec.max ?? (dataMax === 0 ? 1 : dataMax * 1.08);
  const vMin = spec.min ?? (isBar ? dataMin : Math.min(dataMin, 0));

  const labelRoom = horizontal ? Math.min(Math.max(...labels.map(textWidth)) + 12, width * 0.4) : 0;
  const height = spec.height || (horizontal ? Math.max(160, n * (m * 12 + 12) + 50) : 260);
  const group = 0.78; // share of a category taken by its bars
  const barW = group / m;

  const series = [{ label: spec.label_title || "", value: (u, i) => (i == null ? "" : labels[Math.round(i)] ?? "") }];
  spec.series.forEach((s, k) => {
    const color = s.color || PALETTE[k % PALETTE.length];
    const entry = { label: s.label || "", stroke: color, width: isBar ? 0 : 2, value: (u, v) => fmt(v) };
    if (isBar) {
      entry.fill = color;
      entry.points = { show: false };
      entry.paths = uPlot.paths.bars({
        disp: {
          x0: { unit: 1, values: (u) => u.data[0].map((i) => i - group / 2 + k * barW) },
          size: { unit: 1, values: () => [barW] },
        },
      });
    } else {
      entry.points = { show: n <= 24, size: 6, fill: "#fff" };
    }
    series.push(entry);
  });

  const catAxis = {
    scale: "x",
    side: horizontal ? 3 : 2,
    stroke: INK, font: FONT,
    grid: { show: false }, ticks: { show: false },
    splits: () => labels.map((_, i) => i),
    size: horizontal ? labelRoom : 32,
    gap: 4,
    values: (u, splits) => {
      if (horizontal) return splits.map((i) => truncate(labels[i] ?? "", labelRoom - 10));
      // thin the labels so that they never overlap on a narrow screen
      const plotW = u.bbox.width / uPlot.pxRatio || width;
      const widest = Math.max(...labels.map(textWidth)) + 8;
      const step = Math.max(1, Math.ceil((widest * n) / plotW));
      return splits.map((i) => (i % step ? "" : truncate(labels[i] ?? "", plotW / n * step - 4)));
    },
  };
  const valAxis = {
    scale: "y",
    side: horizontal ? 2 : 3,
    stroke: INK, font: FONT,
    grid: { stroke: GRID, width: 1 }, ticks: { show: false },
    values: (u, splits) => splits.map((v) => axisFmt(v)),
    size: horizontal ? 30 : (u, values) => (values ? Math.max(...values.map(textWidth)) + 14 : 40),
    space: horizontal ? 70 : 36,
  };

  return {
    width,
    height,
    padding: [8, horizontal ? 16 : 8, 0, 0],
    legend: { show: m > 1 || !isBar, live: true },
    cursor: { points: { show: !isBar }, drag: { x: false, y: false }, y: false, focus: { prox: 24 } },
    scales: {
      // dir -1 on a vertical category axis: the first label on top, and bars grow the right way
      x: { time: false, ori: horizontal ? 1 : 0, dir: horizontal ? -1 : 1, range: [-0.5, n - 0.5] },
      y: { ori: horizontal ? 0 : 1, dir: 1, range: [vMin, vMax] },
    },
    axes: [catAxis, valAxis],
    series,
  };
}

function draw(figure) {
  let spec;
  try {
    spec = JSON.parse(figure.dataset.chart);
  } catch (e) {
    return; // the table stays
  }
  if (!spec || !Array.isArray(spec.labels) || !Array.isArray(spec.series) || !spec.series.length) return;

  const box = document.createElement("div");
  box.className = "chart-canvas";
  box.setAttribute("aria-hidden", "true"); // the table is the accessible version
  const caption = figure.querySelector("figcaption");
  if (caption) caption.after(box);
  else figure.prepend(box);

  const widthNow = () => Math.max(200, box.clientWidth || figure.clientWidth - 32);
  // A vertical bar chart turns horizontal when its labels would not fit side by side.
  const widest = Math.max(...spec.labels.map(textWidth)) + 12;
  const horizontalFor = (w) =>
    spec.type === "hbar" || (spec.type === "bar" && (spec.labels.length > 8 || widest * spec.labels.length > w - 60));
  const data = [spec.labels.map((_, i) => i), ...spec.series.map((s) => s.values.map((v) => (v == null ? null : +v)))];

  let width = widthNow();
  let horizontal = horizontalFor(width);
  let plot = new uPlot(chartOptions(spec, width, horizontal), data, box);

  figure.classList.add("is-drawn");
  const details = figure.querySelector("details.chart-data");
  if (details) details.open = false;

  if ("ResizeObserver" in window) {
    let frame = 0;
    new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const w = widthNow();
        if (Math.abs(w - width) < 4) return;
        width = w;
        const h = horizontalFor(w);
        if (h !== horizontal) {
          horizontal = h;
          plot.destroy();
          plot = new uPlot(chartOptions(spec, width, horizontal), data, box);
        } else {
          const opts = chartOptions(spec, width, horizontal);
          plot.setSize({ width: opts.width, height: opts.height });
        }
      });
    }).observe(figure);
  }
}

function drawAll(root) {
  root.querySelectorAll("figure[data-chart]:not(.is-drawn)").forEach((figure) => {
    try {
      draw(figure);
    } catch (e) {
      // A chart that cannot be drawn must not take the page down: the table is there.
      if (window.console) console.warn("chart", e);
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => drawAll(document));
else drawAll(document);
// Charts swapped in by htmx (dashboard filters, live refresh) are drawn too.
document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));

window.KotaCerdasCharts = { drawAll };
