"""The fenced code blocks of a Markdown file, in order, and how tests/test_readme_examples.py runs each one.

A block's language says what it is: ```sql runs in psql, ```sh and ```bash run in bash, ```ini (server settings)
and ```text (a file tree) are documentation and are not run. Any other language, or none, is an error: a block
nobody runs goes stale unnoticed. An HTML comment on the line before a block, invisible on the rendered page, may
say how to run it:

    <!-- example: skip (starts a long-running process) -->   not run; the block must start one (LONG_RUNNING)
    <!-- example: as superuser in pg_cron's database -->      its own psql, in the database pg_cron lives in

Any other directive is an error, and so is a directive not followed by a block. A runnable shell block must not
start a long-running process (the test would hang): split it, or skip it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

FENCE = re.compile(r"^```(?P<language>\S*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*example:\s*(?P<text>.*?)\s*-->\s*$")

# How a block is run.
Way = Enum("Way", ["PSQL", "PSQL_IN_CRON_DATABASE", "BASH", "SKIP", "DOCUMENTATION"])

LANGUAGES = {"sql": Way.PSQL, "sh": Way.BASH, "bash": Way.BASH, "ini": Way.DOCUMENTATION, "text": Way.DOCUMENTATION}
DIRECTIVES = {
    "skip (starts a long-running process)": Way.SKIP,
    "as superuser in pg_cron's database": Way.PSQL_IN_CRON_DATABASE,
}
# What keeps running until stopped: the two make targets, the CLI's daemons, and the CLI's repeating options.
LONG_RUNNING_MAKE_TARGETS = {"run", "test"}
LONG_RUNNING_CLI_WORDS = {"run", "watch", "worker", "webhook", "serve", "--watch", "--loop"}


class ExampleError(Exception):
    """A block the test does not know how to run, or a directive it does not know."""


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, counted from 1
    language: str
    text: str
    directive: str | None

    def way(self) -> Way:
        """How to run this block; ExampleError when there is none."""
        where = f"line {self.line}"
        if self.language not in LANGUAGES:
            raise ExampleError(
                f"{where}: a code block tagged {self.language or 'with no language'!r}: tag it "
                f"({', '.join(sorted(LANGUAGES))}) so the examples test knows how to run it"
            )
        if self.directive is None:
            way = LANGUAGES[self.language]
        elif self.directive in DIRECTIVES:
            way = DIRECTIVES[self.directive]
        else:
            raise ExampleError(f"{where}: unknown directive <!-- example: {self.directive} -->")
        if way is Way.PSQL_IN_CRON_DATABASE and self.language != "sql":
            raise ExampleError(f"{where}: only a ```sql block runs in pg_cron's database")
        if way is Way.SKIP and LANGUAGES[self.language] is Way.DOCUMENTATION:
            raise ExampleError(f"{where}: a ```{self.language} block is never run; it needs no skip")
        long_running = starts_long_running_process(self.text)
        if way is Way.SKIP and not long_running:
            raise ExampleError(f"{where}: skipped, but it starts no long-running process: let it run")
        if way is Way.BASH and long_running:
            raise ExampleError(f"{where}: `{long_running}` keeps running: split the block, or skip it")
        return way


def starts_long_running_process(script: str) -> str | None:
    """The first command line of ``script`` that keeps running until stopped, else None."""
    for line in script.splitlines():
        words = line.split("#", 1)[0].split()
        if words[:1] == ["make"] and LONG_RUNNING_MAKE_TARGETS & set(words[1:]):
            return line.strip()
        cli = next((i for i, word in enumerate(words) if word.rsplit("/", 1)[-1] == "sessionkeeper"), None)
        if cli is not None and LONG_RUNNING_CLI_WORDS & set(words[cli + 1 :]):
            return line.strip()
    return None


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks of ``markdown`` in order, each with the directive on the line before it (if any)."""
    found: list[Block] = []
    lines = markdown.splitlines()
    directive: tuple[int, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if match := DIRECTIVE.match(line):
            if directive is not None:
                raise ExampleError(f"line {directive[0]}: a directive not followed by a code block")
            directive = (index, match["text"])
            continue
        fence = FENCE.match(line)
        if fence is None:
            if directive is not None and line.strip():
                raise ExampleError(f"line {directive[0]}: a directive not followed by a code block")
            continue
        start = index
        body: list[str] = []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ExampleError(f"line {start}: a code block that never closes")
        index += 1
        found.append(Block(start, fence["language"], "\n".join(body) + "\n", directive and directive[1]))
        directive = None
    if directive is not None:
        raise ExampleError(f"line {directive[0]}: a directive not followed by a code block")
    return found
