"""Flags with one meaning across the commands, checked while parsing."""

from __future__ import annotations

from absl import flags
import pytest

from tfds_builders.common import command_flags


def _parse(define, *args: str) -> flags.FlagValues:
  flag_values = flags.FlagValues()
  define(flag_values)
  flag_values(["prog", *args])
  return flag_values


def _image_size(flag_values):
  command_flags.define_image_size(flag_values, None, "Resize.")


@pytest.mark.parametrize("given, size", [
    ("160", (160, 160)), ("160,120", (160, 120)), (" 32 , 30 ", (32, 30)),
])
def test_image_size_is_one_side_or_height_and_width(given, size):
  assert _parse(_image_size, f"--image_size={given}").image_size == size
  assert _parse(_image_size).image_size is None


@pytest.mark.parametrize("given", ["0", "28,0", "1,2,3", "big", "-5"])
def test_a_bad_image_size_names_the_flag(given):
  with pytest.raises(flags.Error, match=r"--image_size=.*N \(a square\)"):
    _parse(_image_size, f"--image_size={given}")


def test_out_is_a_directory_that_may_be_created(tmp_path):
  define = lambda fv: command_flags.define_out_dir(fv, "Where.")
  assert _parse(define, f"--out={tmp_path / 'new' / 'dir'}").out
  a_file = tmp_path / "file"
  a_file.write_text("")
  for value, problem in [
      (a_file, "is a file, not a directory"),
      (a_file / "below", "cannot be created: .* is a file"),
      (tmp_path / "grid.png", "looks like a file name"),
  ]:
    with pytest.raises(flags.Error, match=f"--out={value}: {problem}"):
      _parse(define, f"--out={value}")
  assert not (tmp_path / "new").exists()  # Checks create nothing.


def test_a_run_to_read_must_exist_and_model_is_its_alias(tmp_path):
  define = lambda fv: command_flags.define_workdir(fv, "Run.", read=True)
  assert _parse(define, f"--model={tmp_path}").workdir == str(tmp_path)
  with pytest.raises(flags.Error, match="--workdir=.*: does not exist"):
    _parse(define, f"--workdir={tmp_path / 'nope'}")
  with pytest.raises(flags.Error, match="--workdir"):
    _parse(define)


def test_a_run_to_write_may_be_new_but_not_a_file(tmp_path):
  define = lambda fv: command_flags.define_workdir(fv, "Run.", read=False)
  assert _parse(define, f"--workdir={tmp_path / 'new'}").workdir
  (tmp_path / "file").write_text("")
  with pytest.raises(flags.Error, match="is a file, not a directory"):
    _parse(define, f"--workdir={tmp_path / 'file'}")
  with pytest.raises(flags.Error):
    _parse(define, "--model=dli_cnn")  # No alias where a run is written.


@pytest.mark.parametrize("define, name, bad", [
    (lambda fv: command_flags.define_seed(fv, 0, "Seed."), "seed",
     ["-1", str(2**32)]),
    (lambda fv: command_flags.define_port(fv, "Port."), "port",
     ["-1", "65536"]),
])
def test_seeds_and_ports_are_checked_against_their_range(define, name, bad):
  for value in bad:
    with pytest.raises(flags.Error, match=f"--{name}={value}: .* range"):
      _parse(define, f"--{name}={value}")
