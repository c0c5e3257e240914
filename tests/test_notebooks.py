"""Every notebook in notebooks/ runs headless, top to bottom, without errors (each ends with its
own checks).

Needs nbclient, nbformat, ipykernel and matplotlib (the ``test`` extra); skips cleanly without
them or without a Python kernel. The kernel runs this interpreter, so it imports this tree's gluonlite.
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")  # the notebooks plot

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes(name, monkeypatch, tmp_path):
    from jupyter_client.kernelspec import NoSuchKernel

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("GLUONLITE_HOME", str(tmp_path))  # data sets materialise here
    path = NOTEBOOK_DIR / name
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    except NoSuchKernel as exc:
        pytest.skip(f"no Python kernel to run {name}: {exc}")
    errors = [o for c in notebook.cells for o in c.get("outputs", ()) if o.output_type == "error"]
    assert not errors, errors
