"""Shared by the make_*.py generators: collects cells and writes a clean .NET Interactive notebook (nbformat 4.5)."""
import json, pathlib

class Notebook:
    def __init__(self):
        self.cells = []

    def md(self, text):
        self.cells.append(("markdown", text.strip("\n"), None))

    def code(self, text, tags=None):
        self.cells.append(("code", text.strip("\n"), tags))

    def write(self, name):
        nb_cells = []
        for n, (kind, source, tags) in enumerate(self.cells):
            cell_id = f"c{n:02d}"  # stable ids, so that Jupyter does not rewrite the file on save
            if kind == "markdown":
                nb_cells.append({"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": source.splitlines(keepends=True)})
            else:
                meta = {"dotnet_interactive": {"language": "csharp"}, "polyglot_notebook": {"kernelName": "csharp"}}
                if tags: meta["tags"] = tags
                nb_cells.append({"cell_type": "code", "id": cell_id, "execution_count": None, "metadata": meta, "outputs": [],
                                 "source": source.splitlines(keepends=True)})
        notebook = {
            "cells": nb_cells,
            "metadata": {
                "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
                "language_info": {"file_extension": ".cs", "mimetype": "text/x-csharp", "name": "C#", "pygments_lexer": "csharp", "version": "13.0"},
                "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"aliases": [], "name": "csharp"}, {"aliases": [], "languageName": "markdown", "name": "markdown"}]}},
            },
            "nbformat": 4, "nbformat_minor": 5,
        }
        path = pathlib.Path(__file__).resolve().parents[2] / "notebooks" / name
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path}")
