"""The HTML report's stylesheet, inlined into the page (no web fonts, no network)."""

from __future__ import annotations

STYLE = """
:root {
  --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --page: #f1f5f9; --card: #ffffff;
  --accent: #2563eb; --good: #15803d; --bad: #b91c1c; --warn: #b45309;
  --sales: #7c3aed; --marketing: #0891b2;
}
* { box-sizing: border-box; }
html { background: var(--page); }
body {
  margin: 0; color: var(--ink); -webkit-font-smoothing: antialiased;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", sans-serif;
}
svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
header.top {
  background: linear-gradient(120deg, #0b1f44 0%, #143a82 60%, #1d4ed8 100%);
  color: #fff; padding: 28px 40px 84px;
}
header.top .eyebrow {
  text-transform: uppercase; letter-spacing: .12em; font-size: 12px; opacity: .75;
}
header.top h1 { margin: 6px 0 4px; font-size: 30px; font-weight: 750; letter-spacing: -.01em; }
header.top .period { font-size: 16px; opacity: .92; }
header.top .period b { font-weight: 700; }
header.top .meta { margin-top: 6px; font-size: 12.5px; opacity: .7; }
main { max-width: 1320px; margin: -64px auto 0; padding: 0 32px 40px; }
.kpis {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(142px, 1fr)); gap: 14px;
}
.kpi {
  background: var(--card); border-radius: 14px; padding: 16px 18px 14px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, .06), 0 8px 24px rgba(15, 23, 42, .06);
}
.kpi .name { font-size: 11.5px; color: var(--muted); font-weight: 650; text-transform: uppercase;
  letter-spacing: .04em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi .value { font-size: 30px; font-weight: 760; margin: 4px 0 2px; letter-spacing: -.02em; }
.kpi .was { font-size: 12px; color: var(--muted); }
.delta { font-weight: 700; font-size: 12.5px; white-space: nowrap; }
.delta.up { color: var(--good); } .delta.down { color: var(--bad); }
.delta.flat { color: var(--muted); }
.grid2 { display: grid; grid-template-columns: 1.15fr .85fr; gap: 18px; margin-top: 18px; }
.grid2.even { grid-template-columns: 1fr 1fr; }
.grid4 { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; }
section.card {
  background: var(--card); border-radius: 14px; padding: 20px 22px 18px; margin-top: 18px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, .06), 0 8px 24px rgba(15, 23, 42, .05);
}
.grid2 > section.card { margin-top: 0; }
section.card h2 { margin: 0 0 2px; font-size: 17px; font-weight: 720; }
section.card .sub { margin: 0 0 14px; color: var(--muted); font-size: 12.5px; }
.mini h3 { margin: 0 0 6px; font-size: 13px; font-weight: 650; }
.mini h3 span { color: var(--muted); font-weight: 500; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th {
  text-align: right; font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); font-weight: 650; padding: 8px 10px; border-bottom: 2px solid var(--line);
  white-space: nowrap;
}
td { text-align: right; padding: 8px 10px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
tr:last-child td { border-bottom: none; }
tbody tr:hover { background: #f8fafc; }
td.name { font-weight: 600; }
td .muted, .muted { color: var(--muted); font-weight: 400; }
.pill {
  display: inline-block; font-size: 10.5px; font-weight: 700; border-radius: 999px;
  padding: 1px 8px; margin-left: 6px; text-transform: uppercase; letter-spacing: .04em;
  vertical-align: 1px;
}
.pill.marketing { background: #cffafe; color: #155e75; }
.pill.sales { background: #ede9fe; color: #5b21b6; }
.pill.detour { background: #fef3c7; color: #92400e; }
.inline-bar { display: inline-block; height: 8px; border-radius: 4px; background: var(--accent);
  vertical-align: middle; margin-left: 8px; opacity: .85; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin: 2px 0 10px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px; }
.more { color: var(--muted); font-size: 12px; margin-top: 8px; }
dl.defs { display: grid; grid-template-columns: repeat(3, 1fr); gap: 14px 26px; margin: 0; }
dl.defs div { break-inside: avoid; }
dl.defs dt { font-weight: 700; font-size: 13px; margin-bottom: 2px; }
dl.defs dd { margin: 0; color: #334155; font-size: 12.5px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 8px 0 28px; }
@media (max-width: 1000px) {
  .grid2, .grid2.even, .grid4 { grid-template-columns: 1fr; }
  dl.defs { grid-template-columns: 1fr; }
}
@media print {
  html, body { background: #fff; }
  section.card, .kpi { box-shadow: none; border: 1px solid var(--line); }
}
"""
