"""`deploy-action lsp` driven by a real LSP client: pygls's LanguageClient (PyPI).

Run by scripts/test-lsp.sh, which installs pygls in a venv of its own:
    python tests/lsp/client_test.py PATH/TO/deploy-action

What it shows, each with an assertion that can fail:
- a workflow with typos gets diagnostics at the right ranges (UTF-16 columns, past an emoji),
  with the rule, severity and "did you mean" of `lint`;
- hover on a finding shows its rule's documentation;
- the quick fixes, applied as the editor applies them, leave an empty diagnostic list;
- action.yml and .github/promotion.yml are checked; other YAML files are not;
- shellcheck's findings arrive for run: scripts;
- malformed YAML, a file over 2 MiB, one just under it and 10,000-deep nesting get findings,
  and the server still answers afterwards; it exits 0 on shutdown + exit.
Every wait has a deadline.
"""

import asyncio
import os
import pathlib
import sys
import tempfile

from lsprotocol import types
from pygls.lsp.client import LanguageClient

DEADLINE = 120.0  # seconds; the 2 MB file takes ~1 s in a release build, far more in debug

WORKFLOW = """\
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latst
    steps:
      - run: echo "$SHA"
        env:
          SHA: "🚀 ${{ githb.sha }}"
"""


class Client(LanguageClient):
    def __init__(self):
        super().__init__("deploy-action-test", "1")
        self.published = {}  # uri -> list of PublishDiagnosticsParams
        self.changed = asyncio.Condition()
        self.logs = []


def failed(msg):
    raise AssertionError(msg)


async def wait_for(client, uri, pred, what):
    """The first publication for `uri` satisfying `pred` (already received or to come)."""

    async def _wait():
        async with client.changed:
            while True:
                for p in client.published.get(uri, []):
                    if pred(p):
                        return p
                await client.changed.wait()

    try:
        return await asyncio.wait_for(_wait(), DEADLINE)
    except asyncio.TimeoutError:
        seen = [
            (p.version, [(d.code, d.message[:80]) for d in p.diagnostics])
            for p in client.published.get(uri, [])
        ]
        failed(f"timed out waiting for {what} on {uri}; got {seen}; logs {client.logs}")


def apply(text, edits):
    """Applies LSP text edits (UTF-16 positions) to `text`, as an editor does."""
    lines = text.splitlines(keepends=True)

    def offset(pos):
        before = sum(len(l) for l in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return before + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return before + len(line)

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        a, b = offset(e.range.start), offset(e.range.end)
        text = text[:a] + e.new_text + text[b:]
        lines = text.splitlines(keepends=True)
    return text


def utf16_col(line, index):
    return sum(2 if ord(c) > 0xFFFF else 1 for c in line[:index])


async def main(binary):
    root = pathlib.Path(tempfile.mkdtemp(prefix="deploy-action-lsp-"))
    (root / ".git").mkdir()
    (root / ".github/workflows").mkdir(parents=True)
    wf_path = root / ".github/workflows/ci.yml"
    wf_path.write_text(WORKFLOW)
    uri = wf_path.as_uri()

    client = Client()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    async def on_diagnostics(params):
        async with client.changed:
            client.published.setdefault(params.uri, []).append(params)
            client.changed.notify_all()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params):
        client.logs.append(params.message)

    await client.start_io(binary, "lsp", "--stdio", cwd=str(root))
    init = await asyncio.wait_for(
        client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    general=types.GeneralClientCapabilities(
                        position_encodings=[types.PositionEncodingKind.Utf16]
                    )
                ),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="repo")],
            )
        ),
        DEADLINE,
    )
    caps = init.capabilities
    assert caps.position_encoding in (types.PositionEncodingKind.Utf16, "utf-16"), caps
    assert caps.hover_provider, caps
    assert caps.code_action_provider, caps
    client.initialized(types.InitializedParams())

    # 1. A workflow with two typos.
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=WORKFLOW)
        )
    )
    first = await wait_for(client, uri, lambda p: p.version == 1, "diagnostics of version 1")
    diags = sorted(first.diagnostics, key=lambda d: (d.range.start.line, d.range.start.character))
    codes = [d.code for d in diags]
    assert codes == ["runner-label", "expression"], [(d.code, d.message) for d in diags]
    label, expr = diags
    lines = WORKFLOW.splitlines()
    col = lines[5].index("ubuntu-latst")
    assert label.range == types.Range(
        start=types.Position(line=5, character=col), end=types.Position(line=5, character=col + 12)
    ), label.range
    assert label.severity == types.DiagnosticSeverity.Error, label
    assert 'did you mean "ubuntu-latest"?' in label.message, label.message
    assert label.source == "deploy-action", label
    assert label.code_description and label.code_description.href.endswith("#runner-label"), label
    # Past the emoji (two UTF-16 units): the column is counted as the editor counts it.
    i = lines[9].index("githb")
    assert expr.range.start == types.Position(line=9, character=utf16_col(lines[9], i)), expr.range
    assert 'did you mean "github"?' in expr.message, expr.message

    # 2. Hover on the label: its rule's documentation.
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=5, character=col + 2),
            )
        ),
        DEADLINE,
    )
    assert hover is not None and "runner-label" in hover.contents.value, hover

    # 3. Quick fixes, applied as the editor applies them, one after the other.
    text, version = WORKFLOW, 1
    for diag, replacement in [(label, "ubuntu-latest"), (expr, "github")]:
        actions = await asyncio.wait_for(
            client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=diag.range,
                    context=types.CodeActionContext(diagnostics=[diag]),
                )
            ),
            DEADLINE,
        )
        assert actions and len(actions) == 1, actions
        action = actions[0]
        assert action.kind == types.CodeActionKind.QuickFix, action
        assert action.title == f'replace with "{replacement}"', action.title
        edits = action.edit.changes[uri]
        text = apply(text, edits)
        version += 1
        changes = [types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits]
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=changes,
            )
        )
    assert "runs-on: ubuntu-latest" in text and "${{ github.sha }}" in text, text
    fixed = await wait_for(client, uri, lambda p: p.version == version, f"diagnostics of version {version}")
    assert len(fixed.diagnostics) == 0, [(d.code, d.message) for d in fixed.diagnostics]

    # 4. action.yml and the promotion policy; a compose file is none of ours.
    others = {
        root / "action.yml": ("name: x\ndescription: y\nrun:\n  using: node20\n  main: a.js\n", "action-metadata", 'did you mean "runs"?'),
        root / ".github/promotion.yml": ("from: staging\nto: production\ngatez: {}\n", "promotion-policy", "gatez"),
    }
    for path, (body, rule, words) in others.items():
        path.write_text(body)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="yaml", version=1, text=body)
            )
        )
        got = await wait_for(client, path.as_uri(), lambda p: p.version == 1, f"{rule} diagnostics")
        assert any(d.code == rule and words in d.message for d in got.diagnostics), [
            (d.code, d.message) for d in got.diagnostics
        ]
    compose = root / "docker-compose.yml"
    compose.write_text("services: {web: {image: x}}\n")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=compose.as_uri(), language_id="yaml", version=1, text=compose.read_text()
            )
        )
    )

    # 5. shellcheck's findings arrive for run: scripts (the worker thread).
    sc_uri = (root / ".github/workflows/sc.yml").as_uri()
    sc_text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $foo\n"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=sc_uri, language_id="yaml", version=1, text=sc_text)
        )
    )
    sc = await wait_for(
        client, sc_uri, lambda p: any(d.code == "shellcheck" for d in p.diagnostics), "shellcheck diagnostics"
    )
    hit = next(d for d in sc.diagnostics if d.code == "shellcheck")
    assert "SC2086" in hit.message and hit.range.start.line == 5, hit

    # 6. Hostile input: malformed YAML, over 2 MiB, just under it, 10,000-deep nesting.
    bad_uri = (root / ".github/workflows/bad.yml").as_uri()
    hostile = [
        ("on: [push\njobs: {\n  a: [\n", lambda ds: any(d.code == "yaml-syntax" for d in ds), "malformed YAML"),
        ("#" * (2 * 1024 * 1024 + 1), lambda ds: len(ds) == 1 and "2097152" in ds[0].message, "over 2 MiB"),
        (
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            + "      - run: echo hello world, this step is here to fill the file\n" * 29000,
            lambda ds: all(d.code != "yaml-syntax" for d in ds),
            "just under 2 MiB",
        ),
        ("a: " + "[" * 10000 + "]" * 10000 + "\n", lambda ds: len(ds) >= 1, "deep nesting"),
    ]
    for n, (body, check, what) in enumerate(hostile, start=1):
        assert what != "just under 2 MiB" or len(body.encode()) < 2 * 1024 * 1024, len(body)
        if n == 1:
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(uri=bad_uri, language_id="yaml", version=1, text=body)
                )
            )
        else:
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=bad_uri, version=n),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=body)],
                )
            )
        got = await wait_for(client, bad_uri, lambda p, n=n: p.version == n, what)
        assert check(got.diagnostics), (what, [(d.code, d.message[:100]) for d in got.diagnostics])

    # The server still answers, and published nothing for the compose file.
    alive = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)
            )
        ),
        DEADLINE,
    )
    assert alive is None, alive
    assert compose.as_uri() not in client.published, client.published.get(compose.as_uri())

    await asyncio.wait_for(client.shutdown_async(None), DEADLINE)
    client.exit(None)
    await asyncio.wait_for(client._server.wait(), DEADLINE)
    assert client._server.returncode == 0, client._server.returncode
    await client.stop()
    print("lsp (pygls client): passed")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: client_test.py PATH/TO/deploy-action")
    asyncio.run(main(sys.argv[1]))
