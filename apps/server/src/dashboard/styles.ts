/** The dashboard's style sheet (served as `/dashboard/app.css`; inline styles are refused by the CSP). */
export const DASHBOARD_CSS: string = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--accent:#0969da;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{font-size:1.05rem;margin:0}
nav{display:flex;flex-wrap:wrap;gap:.25rem}
nav a.tab,.btn{font:inherit;border:1px solid var(--line);background:var(--bg);color:var(--fg);border-radius:6px;padding:.3rem .7rem;cursor:pointer}
nav a.tab{text-decoration:none;display:inline-block}
nav a[aria-current="page"]{background:var(--accent);border-color:var(--accent);color:#fff;font-weight:600}
a:focus-visible,pre:focus-visible,.table-wrap:focus-visible,main:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,tr:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
main{max-width:68rem;margin:0 auto;padding:1rem}
h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
h3{font-size:.95rem;margin:.8rem 0 .3rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;background:var(--bg)}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0}
dt{color:var(--muted)}dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.window{margin:.6rem 0}
.window-head{display:flex;justify-content:space-between;gap:.5rem;flex-wrap:wrap}
.bar{height:.8rem;border-radius:4px;background:#eaeef2;border:1px solid var(--line);overflow:hidden}
.bar>span{display:block;height:100%;background:var(--ok)}
.bar.warn>span{background:var(--warn)}.bar.bad>span{background:var(--bad)}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;border:1px solid currentColor}
.badge.ok{color:var(--ok)}.badge.bad{color:var(--bad)}.badge.warn{color:var(--warn)}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid var(--line);white-space:nowrap}
th{background:var(--soft);font-weight:600}
tbody tr{cursor:pointer}tbody tr:hover{background:#f3f6fa}
tbody tr[aria-selected="true"]{background:#ddf4ff}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
label{display:flex;flex-direction:column;gap:.15rem;font-size:.85rem;color:var(--muted)}
input,select{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:6px;color:var(--fg);background:var(--bg)}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.6rem;overflow:auto;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;max-height:32rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--soft);padding:0 .25rem;border-radius:4px}
.chart{width:100%;height:auto;display:block}
.chart .req{fill:#54aeff}.chart .tok{fill:none;stroke:#8250df;stroke-width:2}.chart .axis{stroke:var(--line)}
.chart text{font-size:10px;fill:var(--muted)}
.legend{display:flex;gap:1rem;font-size:.85rem;color:var(--muted)}
.legend .sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px;border-radius:2px}
.sw.req{background:#54aeff}.sw.tok{background:#8250df}
.login{max-width:26rem;margin:3rem auto}
.login form{display:flex;flex-direction:column;gap:.6rem}
.error{color:var(--bad)}
.snippet{position:relative}.snippet .btn{position:absolute;top:.3rem;right:.3rem;font-size:.8rem;padding:.1rem .5rem}
.live{font-size:.85rem}
.skip{position:absolute;left:-999px;top:0}.skip:focus{left:.5rem;top:.5rem;background:var(--bg);padding:.3rem .6rem;z-index:2}
.btn:disabled{opacity:.55;cursor:not-allowed}
.btn.danger{border-color:var(--bad);color:var(--bad);font-weight:600}
.actions{display:flex;flex-wrap:wrap;gap:.4rem;margin:.6rem 0}
.confirm{border:1px solid var(--bad);border-radius:6px;padding:.5rem .7rem;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}.confirm p{margin:0;flex-basis:100%}
.user-code{font:600 1.6rem/1.2 ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.12em;margin:.4rem 0}
form label+p{margin:.1rem 0 .6rem}
form input[type="number"]{max-width:16rem}
input[aria-invalid="true"]{border-color:var(--bad);border-width:2px}
a{color:var(--accent)}
@media (max-width:40rem){main{padding:.6rem}.grid{grid-template-columns:minmax(0,1fr)}pre{white-space:pre-wrap;overflow-wrap:anywhere}header{padding:.5rem .6rem}th,td{padding:.25rem .4rem}}
`
