"""Shared by the make_*.py generators: collects cells and writes a clean .NET Interactive notebook (nbformat 4.5)."""
import json, pathlib

class Notebook:
    def __init__(self):
        self.cells = []

    def md(self, text):
        self.cells.append(("markdown", text.strip("\n"), None))

    def code(self, text, tags=None):
        self.cells.append(("code", text.strip("\n"), tags))

    def solution_setup(self, usings):
        """The two set-up cells every solution notebook starts with (it sits in notebooks/solutions/, one folder deeper
        than its chapter): the check that the library is published, then the references and the given usings."""
        self.code(r'''
// Setup, as in the chapter (this notebook sits one folder deeper). Make the library once: `./reprodiff notebooks setup`.
if (!System.IO.File.Exists("../../artifacts/notebook/ReproDiff.dll") && !AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "ReproDiff"))
    throw new System.IO.FileNotFoundException("ReproDiff is not published for the notebooks: run `./reprodiff notebooks setup` in the repository root, then restart the kernel.");
''')
        self.code('#r "nuget: Microsoft.Data.Analysis, 0.23.1"\n#r "../../artifacts/notebook/ReproDiff.dll"\n\n'
                  + "\n".join(f"using {u};" for u in usings))

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
