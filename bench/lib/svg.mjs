// A small SVG writer for the benchmark report: line charts made of one or more panels, each with
// axes, ticks, a grid and a legend. No dependencies; the output is deterministic for a given input.

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'

function esc(text) {
  return String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  )
}

/** "Nice" tick step (1, 2, 2.5 or 5 × 10^k) for a range split into about `count` parts. */
function niceStep(range, count) {
  if (!(range > 0)) return 1
  const raw = range / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const norm = raw / mag
  const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10
  return nice * mag
}

function ticks(min, max, count) {
  const step = niceStep(max - min, count)
  const out = []
  const start = Math.ceil(min / step - 1e-9) * step
  for (let v = start; v <= max + step * 1e-6; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

function fmt(v) {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1000) return `${Number((v / 1000).toPrecision(3))}k`
  if (a >= 10) return String(Number(v.toPrecision(4)))
  return String(Number(v.toPrecision(3)))
}

function legendRows(panel, width) {
  let rows = 1
  let x = 0
  for (const s of panel.series) {
    const w = s.name.length * 6.2 + 34
    if (x + w > width && x > 0) {
      rows++
      x = 0
    }
    x += w
  }
  return rows
}

/**
 * One chart panel as SVG elements, drawn in the box (x, y, width, height).
 * panel: { title, xLabel, yLabel, series: [{ name, color, points: [[x, y], …], dash?, marker? }],
 *          xMin?, xMax?, yMin?, yMax?, xTicks? }
 */
function renderPanel(panel, box) {
  const pad = { left: 58, right: 14, top: 30 + legendRows(panel, box.width - 72) * 15 + 6, bottom: 44 }
  const plot = {
    x: box.x + pad.left,
    y: box.y + pad.top,
    w: box.width - pad.left - pad.right,
    h: box.height - pad.top - pad.bottom,
  }
  const all = panel.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const xs = all.map(([x]) => x)
  const ys = all.map(([, y]) => y)
  let xMin = panel.xMin ?? (xs.length ? Math.min(...xs) : 0)
  let xMax = panel.xMax ?? (xs.length ? Math.max(...xs) : 1)
  let yMin = panel.yMin ?? 0
  let yMax = panel.yMax ?? (ys.length ? Math.max(...ys) : 1)
  if (xMax <= xMin) xMax = xMin + 1
  if (yMax <= yMin) yMax = yMin + 1
  const yStep = niceStep(yMax - yMin, 5)
  yMax = Math.ceil(yMax / yStep - 1e-9) * yStep
  yMin = Math.floor(yMin / yStep + 1e-9) * yStep
  if (panel.xTicks === undefined) {
    const xStep = niceStep(xMax - xMin, 6)
    xMin = Math.floor(xMin / xStep + 1e-9) * xStep
    xMax = Math.ceil(xMax / xStep - 1e-9) * xStep
  }
  const sx = (v) => plot.x + ((v - xMin) / (xMax - xMin)) * plot.w
  const sy = (v) => plot.y + plot.h - ((v - yMin) / (yMax - yMin)) * plot.h
  const out = []
  out.push(
    `<text x="${box.x + box.width / 2}" y="${box.y + 18}" text-anchor="middle" font-size="13" font-weight="600" ${FONT}>${esc(panel.title)}</text>`,
  )
  for (const t of ticks(yMin, yMax, 5)) {
    const y = sy(t).toFixed(1)
    out.push(
      `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="#e5e7eb" stroke-width="1"/>`,
    )
    out.push(
      `<text x="${plot.x - 6}" y="${y}" dy="4" text-anchor="end" font-size="11" fill="#374151" ${FONT}>${fmt(t)}</text>`,
    )
  }
  for (const t of panel.xTicks ?? ticks(xMin, xMax, 6)) {
    if (t < xMin || t > xMax) continue
    const x = sx(t).toFixed(1)
    out.push(
      `<line x1="${x}" y1="${plot.y}" x2="${x}" y2="${plot.y + plot.h}" stroke="#f3f4f6" stroke-width="1"/>`,
    )
    out.push(
      `<text x="${x}" y="${plot.y + plot.h + 16}" text-anchor="middle" font-size="11" fill="#374151" ${FONT}>${fmt(t)}</text>`,
    )
  }
  out.push(
    `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="#9ca3af" stroke-width="1"/>`,
  )
  out.push(
    `<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h + 36}" text-anchor="middle" font-size="12" fill="#111827" ${FONT}>${esc(panel.xLabel)}</text>`,
  )
  const yLabelX = box.x + 14
  const yLabelY = plot.y + plot.h / 2
  out.push(
    `<text x="${yLabelX}" y="${yLabelY}" transform="rotate(-90 ${yLabelX} ${yLabelY})" text-anchor="middle" font-size="12" fill="#111827" ${FONT}>${esc(panel.yLabel)}</text>`,
  )
  for (const s of panel.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    if (pts.length === 0) continue
    const d = pts
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(Math.min(y, yMax)).toFixed(1)}`)
      .join(' ')
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    )
    if (s.marker)
      for (const [x, y] of pts)
        out.push(
          `<circle cx="${sx(x).toFixed(1)}" cy="${sy(Math.min(y, yMax)).toFixed(1)}" r="3" fill="${s.color}"/>`,
        )
  }
  // Legend: rows under the title, above the plot.
  let lx = plot.x
  let ly = box.y + 34
  for (const s of panel.series) {
    const width = s.name.length * 6.2 + 34
    if (lx + width > plot.x + plot.w && lx > plot.x) {
      lx = plot.x
      ly += 15
    }
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 20}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    )
    out.push(`<text x="${lx + 25}" y="${ly}" font-size="11" fill="#111827" ${FONT}>${esc(s.name)}</text>`)
    lx += width
  }
  return out.join('\n')
}

/**
 * A complete SVG document with panels laid out side by side.
 * @param {{ title?: string, width?: number, height?: number, panels: object[], note?: string }} chart
 */
export function renderChart(chart) {
  const width = chart.width ?? 420 * chart.panels.length
  const height = chart.height ?? 320
  const top = chart.title ? 26 : 0
  const bottom = chart.note ? 18 : 0
  const panelWidth = width / chart.panels.length
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(chart.title ?? chart.panels.map((p) => p.title).join(', '))}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ]
  if (chart.title)
    parts.push(
      `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="700" ${FONT}>${esc(chart.title)}</text>`,
    )
  chart.panels.forEach((panel, i) => {
    parts.push(
      renderPanel(panel, { x: i * panelWidth, y: top, width: panelWidth, height: height - top - bottom }),
    )
  })
  if (chart.note)
    parts.push(
      `<text x="8" y="${height - 5}" font-size="10" fill="#6b7280" ${FONT}>${esc(chart.note)}</text>`,
    )
  parts.push('</svg>', '')
  return parts.join('\n')
}
