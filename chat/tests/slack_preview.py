"""An HTML page that shows a Slack direct message the way the Slack client lays it out, built
from the exact ``chat.postMessage`` body the local Slack server received (its Block Kit
blocks): a rendering of the payload for the documentation, not Slack itself."""

from html import escape
from typing import Any

STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.46 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: #1d1c1d; display: flex; height: 100vh; background: #fff; }
nav { width: 230px; background: #3f0e40; color: #cfc3cf; padding: 14px 0; }
nav h2 { color: #fff; font-size: 17px; margin: 0 16px 18px; }
nav p { margin: 2px 0; padding: 3px 16px; font-size: 14px; }
nav .section { color: #cfc3cf; margin-top: 14px; }
nav .active { background: #1164a3; color: #fff; }
main { flex: 1; display: flex; flex-direction: column; }
header { border-bottom: 1px solid #ddd; padding: 12px 20px; font-weight: 700; font-size: 17px; }
.day { text-align: center; margin: 18px 0 6px; font-size: 13px; font-weight: 700; color: #616061; }
.message { display: flex; padding: 8px 20px; gap: 10px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; background: #0f766e; color: #fff;
          font-weight: 700; display: flex; align-items: center; justify-content: center; }
.name { font-weight: 900; } .app { font-size: 10px; background: #e8e8e8; color: #616061;
        padding: 1px 4px; border-radius: 2px; margin: 0 4px; font-weight: 700; }
.time { color: #616061; font-size: 12px; }
.header-block { font-weight: 900; font-size: 18px; margin: 4px 0 2px; }
.section-block { margin: 4px 0; max-width: 720px; }
.button { display: inline-block; margin-top: 6px; border: 1px solid #bbb; border-radius: 4px;
          padding: 4px 12px; font-weight: 700; font-size: 14px; color: #1d1c1d; }
footer { margin: auto 20px 20px; border: 1px solid #bbb; border-radius: 8px; padding: 12px;
         color: #868686; }
"""


def _block(block: dict[str, Any]) -> str:
    if block["type"] == "header":
        return f'<div class="header-block">{escape(block["text"]["text"])}</div>'
    if block["type"] == "section":
        return f'<div class="section-block">{escape(block["text"]["text"])}</div>'
    if block["type"] == "actions":
        return "".join(
            f'<span class="button" title="{escape(e["url"])}">{escape(e["text"]["text"])}</span>'
            for e in block["elements"]
        )
    raise ValueError(f"no rendering for block type {block['type']}")


def slack_dm_page(body: dict[str, Any], *, workspace: str, reader: str) -> str:
    blocks = "".join(_block(b) for b in body["blocks"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Slack direct message (rendering)</title><style>{STYLE}</style></head><body>
<nav><h2>{escape(workspace)}</h2><p>Threads</p><p>Activity</p>
<p class="section">Direct messages</p><p class="active">Resonance</p><p>{escape(reader)}</p></nav>
<main><header>Resonance</header><div class="day">Today</div>
<div class="message"><div class="avatar">R</div><div>
<span class="name">Resonance</span><span class="app">APP</span><span class="time">9:00 AM</span>
{blocks}</div></div>
<footer>Message Resonance</footer></main></body></html>"""
