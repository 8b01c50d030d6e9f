"""Project files: round trip with results, truncated files, moved models, atomic writes."""

from __future__ import annotations

import json
import os

import pytest

from core.errors import RematError
from core.export.schedule_json import problem_from_document, schedule_document, schedule_from_document
from core.project import Project, file_sha256, load_project, save_project
from core.simulate import simulate
from core.stages import decode_stages, plain_stages
from tests.helpers import chain_training_graph, one_device_problem


@pytest.fixture
def project(tmp_path):  # type: ignore[no-untyped-def]
    model = tmp_path / "models" / "net.onnx"
    model.parent.mkdir()
    model.write_bytes(b"not really a model, but a file with a hash")
    graph = chain_training_graph(4)
    problem = one_device_problem(graph)
    schedule = decode_stages(problem, *plain_stages(graph))
    document = schedule_document(problem, schedule, simulate(problem, schedule), {"label": "plain"})
    return Project(
        model_path=model, dims={"batch": 32}, optimizer="adam", model_sha256=file_sha256(model),
        system={"name": "one"}, budgets_bytes={"ram": 123}, solver={"name": "greedy", "time_limit_s": 5.0},
        results=(document,), sweeps=({"series": "greedy", "fraction": 0.5, "overhead": 0.1},),
    )


def test_round_trip_keeps_everything_including_results(tmp_path, project) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "work.rsproj"
    save_project(path, project)
    loaded = load_project(path)
    assert not loaded.model_missing and not loaded.model_changed
    assert loaded.project.model_path.resolve() == project.model_path.resolve()
    assert json.loads(path.read_text())["model"]["path"] == os.path.join("models", "net.onnx")
    again = loaded.project
    assert (again.dims, again.optimizer, again.budgets_bytes, again.solver, again.sweeps) == (
        project.dims, project.optimizer, project.budgets_bytes, project.solver, project.sweeps)
    (document,) = again.results
    problem = problem_from_document(document)
    trace = simulate(problem, schedule_from_document(document, problem, "result"))
    assert trace.ok and trace.serial_time_s == pytest.approx(document["metrics"]["serial_time_s"])


def test_truncated_project_is_a_clear_error(tmp_path, project) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "work.rsproj"
    save_project(path, project)
    path.write_text(path.read_text()[:200])
    with pytest.raises(RematError, match=r"work\.rsproj: the project file is truncated"):
        load_project(path)


def test_moved_model_is_reported_not_fatal(tmp_path, project) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "work.rsproj"
    save_project(path, project)
    project.model_path.unlink()
    loaded = load_project(path)
    assert loaded.model_missing and loaded.project.results


def test_changed_model_is_flagged(tmp_path, project) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "work.rsproj"
    save_project(path, project)
    project.model_path.write_bytes(b"another model")
    assert load_project(path).model_changed


def test_failed_save_leaves_the_previous_file_intact(tmp_path, project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "work.rsproj"
    save_project(path, project)
    before = path.read_bytes()

    def crash(*_args):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(RematError, match="cannot write"):
        save_project(path, Project(model_path=project.model_path))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": "something-else"}, "not a Remat Studio project"),
        ({"format": "remat-studio.project", "version": 99}, "version 99"),
        ({"format": "remat-studio.project", "version": 1}, "'model' is missing"),
    ],
)
def test_foreign_documents_are_refused(tmp_path, document, message) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.rsproj"
    path.write_text(json.dumps(document))
    with pytest.raises(RematError, match=message):
        load_project(path)
