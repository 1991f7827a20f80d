"""On-disk layout: profile folders, the default data folder, removing a profile's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from furano_meet.store.layout import ProfilePaths, default_data_dir, remove_profile_files


def test_profile_folder_layout(tmp_path: Path) -> None:
    paths = ProfilePaths.for_profile(tmp_path, "member-01")
    assert paths.root == tmp_path / "profiles" / "member-01"
    assert paths.database.name == "cache.db"
    assert paths.keysource.parent == paths.database.parent == paths.blobs.parent
    assert [p.name for p in paths.database_sidecars] == [
        "cache.db-wal",
        "cache.db-shm",
        "cache.db-journal",
    ]


def test_default_folder_is_the_platform_user_data_folder() -> None:
    assert default_data_dir().name == "FuranoMeet"
    assert ProfilePaths.for_profile(None, "p").root == default_data_dir() / "profiles" / "p"


@pytest.mark.parametrize("bad", ["", ".", "..", "../x", "a/b", "a\\b", "-x", "x" * 129, "名前"])
def test_profile_ids_cannot_escape_their_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        ProfilePaths.for_profile(tmp_path, bad)


def test_remove_leaves_foreign_files_and_reports_them(tmp_path: Path) -> None:
    paths = ProfilePaths.for_profile(tmp_path, "p")
    paths.blobs.mkdir(parents=True)
    for path in (paths.database, *paths.database_sidecars, paths.keysource):
        path.write_bytes(b"x")
    (paths.blobs / ("a" * 64)).write_bytes(b"x")
    mine = paths.root / "my-notes.txt"
    mine.write_text("user's own file")
    assert remove_profile_files(paths) == [mine]
    assert sorted(p.name for p in paths.root.iterdir()) == ["my-notes.txt"]
    mine.unlink()
    assert remove_profile_files(paths) == []
    assert not (tmp_path / "profiles").exists()
