"""A marimo notebook with a live VoiceChat, an EmotionPlot of it and one of a fixed timeline.

The browser tests open it with ``marimo edit`` and ``marimo run`` and read what happened in the
kernel from the JSON file named by ``NEXTEVI_MARIMO_STATE``, which the last cell rewrites
a few times a second. Changing the "restart" number re-runs the chat cell (a new VoiceChat).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import asyncio
    import json
    import os
    from pathlib import Path

    import marimo as mo

    from nextevi_widgets import VoiceChat
    from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline

    state_file = Path(os.environ["NEXTEVI_MARIMO_STATE"])
    chats = []  # every VoiceChat this notebook made, oldest first
    played = {}  # id(chat) -> samples the browser reported as played
    return (
        EmotionPlot,
        EmotionTimeline,
        Path,
        VoiceChat,
        asyncio,
        chats,
        json,
        mo,
        played,
        state_file,
    )


@app.cell
def _(mo):
    restart = mo.ui.number(start=0, stop=100, value=0, label="restart")
    restart
    return (restart,)


@app.cell
def _(VoiceChat, chats, mo, played, restart):
    restart.value  # re-run this cell when it changes
    chat = VoiceChat(config_id="deterministic", echo_strategy="headphones")
    chats.append(chat)
    _report = chat.session.report_playback

    def _recording(chunk_id, played_samples, total_samples, flushed=False):
        played[id(chat)] = played.get(id(chat), 0) + int(played_samples)
        _report(chunk_id, played_samples, total_samples, flushed)

    chat.session.report_playback = _recording
    mo.ui.anywidget(chat)
    return (chat,)


@app.cell
def _(EmotionPlot, chat, mo):
    live_plot = EmotionPlot(chat, width=600, height=200, title="live")
    mo.ui.anywidget(live_plot)
    return


@app.cell
def _(EmotionPlot, EmotionTimeline, mo):
    timeline = EmotionTimeline()
    timeline.add_turn("user", 0.0, 4.0)
    for _k in range(40):
        timeline.add(_k * 0.25, {"joy": 0.9 if _k >= 20 else 0.3, "anger": 0.1})
    fixed_plot = EmotionPlot(timeline, width=600, height=240, title="fixed")
    mo.ui.anywidget(fixed_plot)
    return (fixed_plot,)


@app.cell
def _(asyncio, chats, fixed_plot, json, played, state_file):
    def _snapshot():
        return {
            "chats": [
                {
                    "state": c.session.state,
                    "frames_sent": c.session.stats.get("frames_sent", 0),
                    "played_samples": played.get(id(c), 0),
                    "messages": [
                        [m["role"], m["text"]] for m in c.session.messages if m["is_final"]
                    ],
                    "last_error": c.session.last_error,
                    "capture_view": c.capture_view,
                }
                for c in chats
            ],
            "fixed_plot": {"x": fixed_plot._pager.current, **fixed_plot.stats},
        }

    async def _write_state():
        while True:
            try:
                _text = json.dumps(_snapshot(), default=str)
            except Exception as _exc:  # shown to the test instead of ending the task
                _text = json.dumps({"error": repr(_exc)})
            _tmp = state_file.with_suffix(".tmp")
            _tmp.write_text(_text)
            _tmp.replace(state_file)
            await asyncio.sleep(0.25)

    state_writer = asyncio.get_running_loop().create_task(_write_state())
    return (state_writer,)


if __name__ == "__main__":
    app.run()
