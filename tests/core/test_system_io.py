"""System files and presets: every preset loads, round-trips exactly and cites its sources; bad files
name the field; the ``systems`` command lists the presets."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cli import main
from core.errors import RematError
from core.host import describe_this_cpu, host_info
from core.paths import DEVICES_DIR, SCHEMAS_DIR
from core.system import Device, Memory, MemoryKind, System
from core.system_io import (
    CURATED_ORDER,
    list_presets,
    load_system,
    save_system,
    system_from_dict,
    system_to_dict,
)

PRESETS = list_presets()
SCHEMA = json.loads((SCHEMAS_DIR / "system.schema.json").read_text(encoding="utf-8"))


def preset_doc(name: str) -> dict[str, Any]:
    return json.loads((DEVICES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_presets_listed_in_curated_order_with_desktop_first() -> None:
    assert PRESETS[: len(CURATED_ORDER)] == list(CURATED_ORDER)
    assert PRESETS[0] == "desktop"


@pytest.mark.parametrize("name", PRESETS)
def test_preset_file_satisfies_schema_and_cites_sources(name: str) -> None:
    doc = preset_doc(name)
    jsonschema.validate(doc, SCHEMA)
    assert doc["description"] and len(doc["sources"]) >= 2


@pytest.mark.parametrize("name", PRESETS)
def test_preset_round_trips_through_save_and_load(name: str, tmp_path: Path) -> None:
    system = load_system(name)
    path = tmp_path / f"{name}.json"
    save_system(system, path)
    assert load_system(path) == system
    assert system_from_dict(system_to_dict(system), "memory") == system
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_figures_are_plausible(name: str) -> None:
    system = load_system(name)
    names = [d.name for d in system.devices] + [m.name for m in system.memories]
    assert len(names) == len(set(names))
    for device in system.devices:
        assert device.peak_flops > 1e8 and device.mem_bandwidth_bytes_s > 1e8
        assert 0.2 <= device.efficiency <= 0.7
        assert device.active_power_w > device.idle_power_w > 0
    for link in system.links:  # paging and copies go both ways
        assert system.link(link.dst, link.src) is not None


def test_jetson_devices_share_one_memory() -> None:
    system = load_system("jetson-orin")
    assert [d.kind for d in system.devices] == ["cpu", "gpu"]
    assert len({d.memory for d in system.devices}) == 1
    assert len(system.compute_memories()) == 1


@pytest.mark.parametrize(("name", "storage"), [("raspberry-pi4", "sd"), ("cortex-m", "flash")])
def test_small_boards_page_to_storage_both_ways(name: str, storage: str) -> None:
    system = load_system(name)
    (device,) = system.devices
    assert [m.name for m in system.storage_memories()] == [storage]
    to_storage, from_storage = system.link(device.memory, storage), system.link(storage, device.memory)
    assert to_storage is not None and from_storage is not None
    # Writing flash or an SD card is slower and costs more energy per byte than reading it.
    assert to_storage.bandwidth_bytes_s < from_storage.bandwidth_bytes_s
    assert to_storage.energy_per_byte_j > from_storage.energy_per_byte_j > 0


def test_desktop_has_pcie_both_ways() -> None:
    system = load_system("desktop")
    assert {d.name for d in system.devices} == {"cpu", "gpu"}
    assert system.link("ram", "vram") is not None and system.link("vram", "ram") is not None


def test_this_cpu_describes_this_machine() -> None:
    info = host_info()
    system = load_system("this-cpu")
    (device,) = system.devices
    assert device.name == "this-cpu" and device.memory == "ram"
    assert device.peak_flops == preset_doc("this-cpu")["devices"][0]["peak_flops"] * info.cpu_count
    if info.ram_bytes is not None:
        assert system.memory("ram").capacity_bytes == info.ram_bytes
    assert info.cpu_model in system.name and describe_this_cpu() in system.description


def test_unknown_preset_lists_the_valid_names() -> None:
    with pytest.raises(RematError) as caught:
        load_system("no-such-machine")
    message = str(caught.value)
    assert "no-such-machine" in message and all(name in message for name in PRESETS)
    assert "path" in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RematError, match="does not exist"):
        load_system(tmp_path / "absent.json")


def test_not_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": "remat-studio.system",\n  oops}', encoding="utf-8")
    with pytest.raises(RematError, match=r"broken\.json is not valid JSON: .* at line 2"):
        load_system(path)


def _edited(edit: Any) -> dict[str, Any]:
    doc = copy.deepcopy(preset_doc("desktop"))
    edit(doc)
    return doc


BAD_FILES = {
    "unknown device memory": (lambda d: d["devices"][1].update(memory="hbm"), "devices/1/memory", "unknown memory"),
    "unknown link end": (lambda d: d["links"][0].update(dst="disk"), "links/0/dst", "unknown memory"),
    "duplicate memory": (lambda d: d["memories"][1].update(name="ram"), "memories/1/name", "already"),
    "duplicate device": (lambda d: d["devices"][1].update(name="cpu"), "devices/1/name", "already"),
    "zero capacity": (lambda d: d["memories"][0].update(capacity_bytes=0), "memories/0/capacity_bytes",
                      "greater than 0"),
    "negative bandwidth": (lambda d: d["links"][1].update(bandwidth_bytes_s=-1.0), "links/1/bandwidth_bytes_s",
                           "greater than 0"),
    "zero peak": (lambda d: d["devices"][0].update(peak_flops=0), "devices/0/peak_flops", "greater than 0"),
    "bad rate string": (lambda d: d["links"][0].update(bandwidth_bytes_s="fast"), "links/0/bandwidth_bytes_s",
                        "not a rate"),
    "missing field": (lambda d: d["devices"][0].pop("memory"), "devices/0", "'memory' is a required property"),
    "typo field": (lambda d: d["memories"][0].update(capacity=1), "memories/0", "capacity"),
    "bad kind": (lambda d: d["devices"][0].update(kind="tpu"), "devices/0/kind", "tpu"),
    "wrong format": (lambda d: d.update(format="other"), "format", ""),
    "budget over capacity": (lambda d: d["memories"][1].update(budget_bytes="25GiB"), "memories/1/budget_bytes",
                             "exceeds"),
    "bad size string": (lambda d: d["memories"][0].update(capacity_bytes="12 parsecs"), "memories/0/capacity_bytes",
                        "cannot read"),
    "self link": (lambda d: d["links"][0].update(dst="ram"), "links/0/dst", "two different memories"),
    "second link one way": (lambda d: d["links"][1].update(src="ram", dst="vram"), "links/1", "second link"),
    "device on storage": (lambda d: d["memories"][1].update(kind="storage"), "devices/1/memory", "storage memory"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_malformed_file_names_file_and_field(case: str, tmp_path: Path) -> None:
    edit, field, words = BAD_FILES[case]
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(_edited(edit)), encoding="utf-8")
    with pytest.raises(RematError) as caught:
        load_system(path)
    message = str(caught.value)
    assert str(path) in message and f"field {field}" in message and words in message


def test_sizes_and_bandwidths_with_units(tmp_path: Path) -> None:
    def with_units(doc: dict[str, Any]) -> None:
        doc["memories"][1].update(capacity_bytes="24GiB", budget_bytes="20 GiB")
        doc["links"][0].update(bandwidth_bytes_s="25GB/s")
        doc["devices"][1].update(mem_bandwidth_bytes_s="1008 GB/s")

    system = system_from_dict(_edited(with_units), "hand-written")
    assert system.memory("vram") == Memory("vram", 24 * 1024**3, MemoryKind.DEVICE, 20 * 1024**3)
    assert system.link("ram", "vram").bandwidth_bytes_s == 25e9  # type: ignore[union-attr]
    assert system.device("gpu").mem_bandwidth_bytes_s == 1008e9


def test_budget_round_trips(tmp_path: Path) -> None:
    system = System(name="tiny", devices=(Device("cpu", "cpu", "ram", 1e9, 1e9),),
                    memories=(Memory("ram", 1000, budget_bytes=600), Memory("disk", 10**6, MemoryKind.STORAGE)))
    path = tmp_path / "tiny.json"
    save_system(system, path)
    assert load_system(str(path)) == system
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


def test_save_into_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(RematError, match="folder exists"):
        save_system(load_system("cortex-m"), tmp_path / "absent" / "m.json")


def test_systems_command_lists_presets_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["systems", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == PRESETS
    jetson = next(row for row in rows if row["name"] == "jetson-orin")
    assert jetson["devices"] == ["cpu", "gpu"] and "ram" in jetson["memories"]
