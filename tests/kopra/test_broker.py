"""The embedded default's broker: a worker polling the queue folder never reads a message half written."""

import multiprocessing
import queue as queues

import pytest
from kombu import Connection

from kopra.broker import AtomicFilesystemTransport
from kopra.celery import app as celery_app

WRITERS, MESSAGES_EACH, BODY = 4, 30, 1024 * 1024


def _options(folder) -> dict:
    return {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"), "store_processed": False}


def _write(transport: str, folder, writer: int) -> None:
    with Connection("filesystem://", transport=transport, transport_options=_options(folder)) as connection:
        channel = connection.default_channel
        for n in range(MESSAGES_EACH):
            channel._put("celery", {"writer": writer, "n": n, "body": "x" * BODY})


def read_while_written(transport: str, folder) -> list[dict]:
    """Every message as a reader polling in a loop gets it, while several processes write large ones."""
    (folder / "queue").mkdir(parents=True)
    (folder / "control").mkdir()
    fork = multiprocessing.get_context("fork")
    writers = [fork.Process(target=_write, args=(transport, folder, w)) for w in range(WRITERS)]
    for writer in writers:
        writer.start()
    received = []
    with Connection("filesystem://", transport=transport, transport_options=_options(folder)) as connection:
        channel = connection.default_channel
        while len(received) < WRITERS * MESSAGES_EACH:
            try:
                received.append(channel._get("celery"))
            except queues.Empty:
                if not any(writer.is_alive() for writer in writers):
                    break
    for writer in writers:
        writer.join()
    return received


def test_a_reader_never_sees_a_partly_written_message(tmp_path):
    received = read_while_written("kopra.broker:AtomicFilesystemTransport", tmp_path)
    assert len(received) == WRITERS * MESSAGES_EACH
    assert all(len(message["body"]) == BODY for message in received)
    assert sorted((m["writer"], m["n"]) for m in received) == [
        (w, n) for w in range(WRITERS) for n in range(MESSAGES_EACH)]
    assert not list((tmp_path / "queue").iterdir())  # no partial file left behind


def test_the_embedded_default_uses_the_atomic_transport():
    if not celery_app.conf.broker_url.startswith("filesystem://"):
        pytest.skip("the configured broker is not the embedded default")
    with celery_app.connection_for_write() as connection:
        assert isinstance(connection.transport, AtomicFilesystemTransport)
