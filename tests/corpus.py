"""One corpus of cards and forms that every renderer draws (Block Kit, Adaptive Cards, text, HTML).

Each card element type of bot.model appears, alone and together, with the edge cases a renderer can get
wrong: long text, right-to-left and bidi-override text, empty sections, hostile text (pings, HTML, markdown
links), every button kind, and forms with field and stray errors. tests/test_renderers.py draws all of it
with all four renderers into tests/golden/cards/; the platform tests draw some of it for their own
golden files and checks.
"""

from __future__ import annotations

from bot.bidi import RLO
from bot.model import (
    Actions,
    Button,
    Card,
    Context,
    Divider,
    Fields,
    Form,
    FormField,
    KeyResultLine,
    Option,
    Text,
)

LINE = KeyResultLine("rd-o1-kr3", "Average delivery time for requests", 4, "yellow", delta=-3, trend=(7, 7, 4),
                     flagged=True, progress="41 / 32 days", owner="Zhou Qiang", level="team",
                     url="https://okr.example.com/kr/rd-o1-kr3?org=1")

CARDS = {
    # ------------------------------------------------------------ drawn in the Slack golden files too
    "checkin_done": Card(None, (
        Text("*rd-o1-kr3* Average delivery time for requests\nConfidence 5 → *7*/10.\n_vendor signed_"),
        KeyResultLine("rd-o1-kr3", "Average delivery time for requests", 7, "yellow", delta=2, progress="45 / 32 days",
                      owner="Zhou Qiang", url="https://okr.example.com/kr/rd-o1-kr3?org=1"),
    ), fallback="Confidence 5 → 7"),
    "home": Card("Your OKR week", (
        Text("*Zhou Qiang*, week 2026-W47."),
        KeyResultLine("rd-o1-kr3", "Average delivery time", 3, "red", delta=-3, trend=(8, 6, 3), flagged=True,
                      progress="45 / 32 days", level="team"),
        KeyResultLine("rd-o1-kr4", "Test coverage", 9, "green", trend=(9,), progress="40 / 70 %"),
        Divider(),
        Fields((("Team", "R&D Efficiency"), ("Week", "2026-W47"))),
        Context("Update with `/okr confidence N 1-10`"),
        Actions((Button("Check in", "checkin_open", style="primary"), Button("Done: P1 a", "priority_done", "1"),
                 Button("Done: P1 b", "priority_done", "2"), Button("Dashboard", "dashboard", url="https://x.test/"))),
    ), fallback="home"),
    "hostile_text": Card("<!channel> & friends", (
        Text("win: <!here> <@U123> <#C1|general> <https://evil.test|click> & &amp;"),
        Context("by <@U999>"),
        Fields((("<b>", "<!everyone>"),)),
    ), fallback="<!channel>"),
    # ------------------------------------------------------------ drawn in the Teams golden files too
    "text_only": Card(None, (Text("Saved *2* check-ins."),), fallback="Saved 2 check-ins."),
    "everything": Card(
        "R&D Efficiency · week 2026-W47",
        (
            Text("*Priorities*\n• P1 ship the _new_ pipeline\n• P2 hire `two` seniors"),
            Divider(),
            Fields((("Confidence", "*7*/10"), ("Owner", "Zhao Lei"))),
            LINE,
            KeyResultLine("rd-o1-kr4", "Automated test coverage", 9, "green"),
            KeyResultLine("hr-o1-kr1", "Senior hires accepted", 2, "red", delta=1),
            Divider(),
            Actions((Button("Check in", "checkin_open", style="primary"), Button("Drop", "priority_drop", "12",
                     style="danger"), Button("Dashboard", "dashboard", url="https://okr.example.com/d"))),
            Context("Posted by okrbot · reply in this thread with your wins"),
        ),
        fallback="R&D Efficiency four-square",
    ),
    "user_text": Card(None, (Text("🎉 *Win* from Zhou Qiang: [click](http://evil.example) # 1 <at>all</at> 2 * 3 _x"),),
                      fallback="win"),
    "empty": Card("Nothing yet"),
    # ------------------------------------------------------------ one per element kind and edge case
    "markdown_subset": Card(None, (
        Text("*bold*, _italic_, `code`, *bold with _italic_ inside*, _see `code`_\n"
             "• a bullet with https://okr.example.com/a_b_c.\n"
             "• * spaced * and _ spaced _ are plain; so are snake_case_name, 2*3*4 and **double**\n\n"
             "- not a list, 1. not a list, # not a heading, > not a quote, [not](a link)"),
    ), fallback="markdown"),
    "long_text": Card("A long text", (
        Text("\n".join(f"• line {n}: " + "lorem ipsum dolor sit amet " * 4 for n in range(60))),
        Context("x" * 3500),
    ), fallback="long"),
    "bidi_text": Card(f"{RLO}overridden title", (
        Text(f"• shipped the API {RLO}and more · _Ann Lee_"),
        Text("• שלום עולם, *bold* in a right-to-left line"),
        Fields((("مالك", f"{RLO}owner"),)),
        KeyResultLine("rd-o1-kr9", f"{RLO}reversed title", 6, "yellow", owner="دانا"),
    ), fallback="bidi"),
    "empty_sections": Card(None, (Text(""), Context(""), Fields(()), Actions(()), Text("\n\n"))),
    "divider_only": Card(None, (Divider(),)),
    "dividers_around": Card("Dividers", (Divider(), Text("between"), Divider(), Divider(), Text("after"), Divider())),
    "fields_only": Card(None, (Fields(tuple((f"Label *{n}*", f"value _{n}_") for n in range(12))),)),
    "key_result_minimal": Card(None, (KeyResultLine("o1-kr1", "Bare", 5, "yellow"),)),
    "key_result_full": Card(None, (LINE,)),
    "context_only": Card(None, (Context("Posted by okrbot · *7* replies"),)),
    "buttons": Card("Buttons", (
        Actions((
            Button("Save", "save", "1", style="primary"),
            Button("Delete", "delete", "1", style="danger"),
            Button("Plain", "plain"),
            Button("Again", "plain", "2"),
            Button("Open the dashboard", "dashboard", url="https://okr.example.com/?org=1&x=<y>"),
            Button("A very long label " * 6, "long", "v" * 50),
        )),
    ), fallback="buttons"),
    "title_and_labels": Card("*Bold* title, _italic_ `code`", (
        Fields((("*Bold* label", "_italic_ value"), ("`code` label", "https://okr.example.com/x_y"))),
    ), fallback="title"),
    "many_buttons": Card(None, (Actions(tuple(Button(f"B{n}", f"b{n}", str(n)) for n in range(30))),)),
}

FORM = Form(
    "checkin", "Weekly check-in",
    (
        FormField("confidence:6", "rd-o1-kr3 · Average delivery time", "select",
                  tuple(Option(str(n), str(n)) for n in range(10, 0, -1)), "5", hint="1 = no chance, 10 = sure"),
        FormField("value:6", "New value (days)", "number", optional=True, hint="now 45, target 32"),
        FormField("note:6", "What changed?", "text", optional=True, max_length=500),
        FormField("story", "The story", "multiline", optional=True),
    ),
    "Save check-in", intro="How confident are you *this week*?", metadata="7",
)

# name -> (form, values, errors)
FORMS = {
    "form": (FORM, None, None),
    "form_errors": (FORM, {"confidence:6": "7", "value:6": "forty", "note:6": "x"},
                    {"value:6": "`forty` is not a number: type a plain number like 62 or 62.5.",
                     "elsewhere": "Something else went wrong."}),
    "checkin": (Form("checkin", "Weekly check-in", (
        FormField("confidence:7", "rd-o1-kr3 · Average delivery time for requests", "select",
                  tuple(Option(str(n), str(n)) for n in range(10, 0, -1)), "5"),
        FormField("value:7", "New value (days)", "number", optional=True, hint="now 45, target 32"),
        FormField("note:7", "What changed?", "text", optional=True, max_length=500),
        FormField("story", "Longer story", "multiline", optional=True, initial="so far <so> good"),
    ), "Save check-in", intro="Confidence *1-10*: 5 is a coin toss. <!here> stays text.", metadata="7"), None, None),
    "select_words": (Form("priority", "A priority", (
        FormField("level", "Level", "select", (Option("P1", "P1"), Option("P2", "P2")), "P2", hint="*P1* first"),
        FormField("text", "What", "text", initial="ship <it> & more"),
    )), {"level": "P1"}, {"text": "Say what the priority is: *one* line.", "level": "Pick _P1_ or _P2_."}),
}
