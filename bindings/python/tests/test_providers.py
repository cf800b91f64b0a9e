"""Provider types written in Python, used from YAML like built-ins."""

from __future__ import annotations

import threading
import time

import pytest

import flowtoy
from flowtoy.cli import run_flow
from flowtoy.runner import LocalRunner


@pytest.fixture(autouse=True)
def forget_registered():
    yield
    for name in flowtoy.registered_providers():
        flowtoy.unregister_provider(name)


class Greeter:
    """Greets whoever the payload names."""

    __version__ = "1.2.3"

    def __init__(self, configuration):
        self.word = configuration.get("word", "Hello")

    def call(self, payload):
        return {"text": f"{self.word}, {payload}!", "thread": threading.current_thread().name}


def test_a_class_provider_used_from_yaml(write_yaml):
    flowtoy.register_provider("greeter", Greeter)
    path = write_yaml(
        "flow.yaml",
        """
        sources:
          hi: {type: greeter, configuration: {word: "Hi {{ input | upper }}"}}
        flow:
          - name: who
            source: {type: process, configuration: {command: [echo, ada]}}
            output: [{name: name}]
          - name: greet
            source: hi
            input: "{{ flows.who.name }}"
            output:
              - {name: text, type: jmespath, value: text}
              - {name: thread, type: jmespath, value: thread}
        """,
    )
    flows, status = run_flow([path])
    assert flows["greet"]["text"] == "Hi ADA, ada!"
    # Called on one of the engine's worker threads, not the caller's.
    assert flows["greet"]["thread"] != threading.current_thread().name
    assert status.steps["greet"].state == "succeeded"
    assert flowtoy.registered_providers() == ["greeter"]


def test_a_callable_provider_gets_configuration_and_payload():
    calls = []

    @flowtoy.register_provider("record")
    def record(configuration, payload):
        calls.append((configuration, payload))
        return [configuration["n"], payload]

    runner = LocalRunner(
        {
            "flow": [
                {
                    "name": "a",
                    "source": {"type": "record", "configuration": {"n": 1}},
                    "input": {"k": ["v", 2, None]},
                    "output": [{"name": "all", "type": "json"}],
                },
                {"name": "b", "source": {"type": "record", "configuration": {"n": 2}}},
            ]
        }
    )
    runner.run()
    assert runner.flows["a"] == {"all": [1, {"k": ["v", 2, None]}]}
    assert sorted(calls, key=lambda c: c[0]["n"]) == [
        ({"n": 1}, {"k": ["v", 2, None]}),
        ({"n": 2}, None),
    ]


def test_a_provider_that_raises_fails_the_step_with_its_message(write_yaml):
    def explode(configuration, payload):
        raise RuntimeError(f"no luck with {payload}")

    flowtoy.register_provider("explode", explode)
    path = write_yaml(
        "flow.yaml",
        """
        flow:
          - {name: boom, source: explode, input: "x", on_error: continue}
          - {name: after, source: env, depends_on: [boom]}
        """,
    )
    flows, status = run_flow([path])
    boom = status.steps["boom"]
    assert boom.state == "failed"
    assert "no luck with x" in boom.error
    assert status.steps["after"].state == "succeeded"
    assert "boom" not in flows


def test_a_whole_result_dict_sets_success_notes_and_meta():
    def partial(configuration, payload):
        return {
            "status": {"success": False, "code": 7, "notes": ["quota exceeded"]},
            "data": None,
            "meta": {"api_token": "hidden"},
        }

    def full(configuration, payload):
        return {"status": {"success": True}, "data": {"n": 3}, "meta": {}}

    flowtoy.register_provider("partial", partial)
    flowtoy.register_provider("full", full)
    runner = LocalRunner(
        {
            "runner": {"on_error": "continue"},
            "flow": [
                {"name": "p", "source": "partial"},
                {"name": "f", "source": "full", "output": [{"name": "n", "type": "jmespath", "value": "n"}]},
            ],
        }
    )
    runner.run()
    assert runner.status.steps["p"].state == "failed"
    assert "quota exceeded" in runner.status.steps["p"].error
    assert runner.flows["f"] == {"n": 3}


def test_a_class_whose_constructor_raises_fails_the_step():
    class Picky:
        def __init__(self, configuration):
            raise ValueError("missing 'url'")

        def call(self, payload):  # pragma: no cover
            return None

    flowtoy.register_provider("picky", Picky)
    runner = LocalRunner({"flow": [{"name": "p", "source": "picky"}]})
    runner.run()
    assert runner.status.steps["p"].state == "failed"
    assert "missing 'url'" in runner.status.steps["p"].error


def test_unknown_types_are_config_errors_until_registered():
    config = {"flow": [{"name": "a", "source": "later"}]}
    with pytest.raises(ValueError, match="provider type 'later'"):
        LocalRunner(config).run()
    flowtoy.register_provider("later", lambda configuration, payload: "now")
    runner = LocalRunner(config)
    runner.run()
    assert runner.status.steps["a"].state == "succeeded"
    assert flowtoy.unregister_provider("later") is True
    assert flowtoy.unregister_provider("later") is False


def test_calls_take_the_gil_only_for_the_call():
    # Two providers that sleep (time.sleep releases the GIL) run at once,
    # and the calling thread keeps running Python meanwhile.
    def nap(configuration, payload):
        time.sleep(0.4)
        return time.monotonic()

    flowtoy.register_provider("nap", nap)
    runner = LocalRunner(
        {"runner": {"max_workers": 2}, "flow": [{"name": "a", "source": "nap"}, {"name": "b", "source": "nap"}]}
    )
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    start = time.monotonic()
    runner.run()
    elapsed = time.monotonic() - start
    stop.set()
    ticker.join()
    assert elapsed < 0.75, elapsed
    assert len(ticks) > 10


def test_registration_is_checked():
    with pytest.raises(TypeError):
        flowtoy.register_provider("x", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        flowtoy.register_provider("  ", Greeter)
