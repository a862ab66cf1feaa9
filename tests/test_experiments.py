"""The experiment scripts run end to end (--quick, embedded MNIST subset)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "files"),
    [
        ("lesson9.py", {"scores.csv", "meta.json", "heatmap.png", "lesson_vs_ours.md"}),
        (
            "mnist_mlp_lr_width.py",
            {"scores.csv", "meta.json", "heatmap.png", "learning_curves.png"},
        ),
        (
            "mnist_mlp_halving.py",
            {"scores.csv", "meta.json", "heatmap.png", "learning_curves.png"},
        ),
        (
            "mnist_sgd_logreg.py",
            {"scores.csv", "meta.json", "heatmap_log_loss.png", "baseline.json"},
        ),
    ],
)
def test_experiment_quick_run(tmp_path, script, files):
    out = _quick_run(tmp_path, script, files)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "finished" and meta["data"]["X_train"] == [4000, 784]
    if script == "lesson9.py":  # the lesson's own LogReg module, through TorchClassifier
        module = json.loads((out / "logreg_module" / "meta.json").read_text())
        assert module["execution"]["fused_engine"] == "torch.func"
        assert "own LogReg nn.Module" in (out / "lesson_vs_ours.md").read_text()


@pytest.mark.slow
def test_the_cnn_experiment_trains_images_fused(tmp_path):
    files = {"scores.csv", "meta.json", "heatmap.png", "learning_curves.png"}
    meta = json.loads((_quick_run(tmp_path, "mnist_cnn.py", files) / "meta.json").read_text())
    assert meta["data"]["X_train"] == [2000, 1, 28, 28]
    assert meta["execution"]["fused_groups"] == [4]


def _quick_run(tmp_path, script, files):
    """Run ``script --quick`` on the embedded subset; its output folder."""
    pytest.importorskip("torch")
    env = {k: v for k, v in os.environ.items() if k != "PARSEARCH_MNIST"}
    env.update(HOME=str(tmp_path / "home"), PARSEARCH_CACHE=str(tmp_path / "cache"))
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / script), "--quick", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "embedded 5,000-image subset" in run.stdout + run.stderr
    assert "top" in run.stdout
    assert files <= {p.name for p in out.iterdir()}
    return out
