"""The optional language-model backend, against a small chat-completions server on 127.0.0.1."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from excuses import llm, services
from excuses.drafts import ExcuseInputs
from excuses.models import ExcuseEmail

GOOD_ANSWER = (
    "Subject: Can't join Q4 roadmap review\n\n"
    "Hi Priya,\n\n"
    "Thanks for the invite to Q4 roadmap review. I've set that time aside for focused work on a "
    "deadline, so I'll have to miss it. I'm happy to send my updates in writing beforehand.\n\n"
    "Best,\nErin"
)


class FakeChatServer:
    """Speaks just enough of the chat-completions protocol; ``behaviour`` picks the answer."""

    def __init__(self):
        self.behaviour = "ok"
        self.answer = GOOD_ANSWER
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                if server.behaviour == "slow":
                    time.sleep(1.5)
                if server.behaviour == "error":
                    self._send(500, b'{"error": "overloaded"}')
                elif server.behaviour == "garbage":
                    self._send(200, b"<html>not json</html>")
                else:
                    payload = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": server.answer},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                    self._send(200, json.dumps(payload).encode())

            def _send(self, status, body):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server(settings):
    with FakeChatServer() as server:
        settings.EXCUSE_LLM_URL = server.url
        settings.EXCUSE_LLM_MODEL = "house-model"
        settings.EXCUSE_LLM_API_KEY = "k-123"
        settings.EXCUSE_LLM_TIMEOUT = 0.5
        yield server


@pytest.fixture
def erin(employee):
    employee.first_name, employee.last_name = "Erin", "Walsh"
    employee.save()
    return employee


def draft(user, **overrides):
    values = {
        "meeting_title": "Q4 roadmap review",
        "organizer_name": "Priya",
        "reason": "focus",
        "tone": "friendly",
        "seed": 5,
    }
    values.update(overrides)
    return services.draft_excuse(user=user, excuse_request=services.ExcuseRequest(**values))


def test_it_uses_a_valid_answer_from_the_model(chat_server, erin):
    result = draft(erin)

    assert result.backend == ExcuseEmail.Backend.LLM
    assert result.subject == "Can't join Q4 roadmap review"
    assert result.body.startswith("Hi Priya,") and result.body.endswith("Erin")


def test_it_sends_a_fixed_system_prompt_and_strict_limits(chat_server, erin):
    draft(erin, propose_alternative=None)

    (request,) = chat_server.requests
    sent = request["json"]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer k-123"
    assert sent["model"] == "house-model"
    assert sent["messages"][0] == {"role": "system", "content": llm.SYSTEM_PROMPT}
    assert sent["max_tokens"] == llm.MAX_TOKENS
    assert sent["seed"] == 5
    prompt = sent["messages"][1]["content"]
    assert "Q4 roadmap review" in prompt and "Priya" in prompt and "Erin" in prompt
    assert "FlowScore" not in prompt and "flow" not in prompt.lower()


def test_it_falls_back_to_sentence_parts_on_a_timeout(chat_server, erin):
    chat_server.behaviour = "slow"
    started = time.monotonic()

    result = draft(erin)

    assert time.monotonic() - started < 1.4
    assert result.backend == ExcuseEmail.Backend.TEMPLATE
    assert "Q4 roadmap review" in result.body


@pytest.mark.parametrize(
    "answer",
    [
        GOOD_ANSWER.replace("Q4 roadmap review", "your meeting"),  # meeting not named
        GOOD_ANSWER.replace("Erin", "[Your Name]"),  # placeholder
        GOOD_ANSWER.replace("Subject: ", ""),  # no subject line
        GOOD_ANSWER + " More words." * 60,  # too long
        GOOD_ANSWER.replace("focused work on a deadline", "a dentist appointment"),  # invented
        "",
    ],
    ids=["no-meeting", "placeholder", "no-subject", "too-long", "invented-event", "empty"],
)
def test_it_falls_back_on_a_bad_answer(chat_server, erin, answer):
    chat_server.answer = answer

    result = draft(erin)

    assert result.backend == ExcuseEmail.Backend.TEMPLATE
    assert "Q4 roadmap review" in result.body


@pytest.mark.parametrize("behaviour", ["error", "garbage"])
def test_it_falls_back_on_a_server_error(chat_server, erin, behaviour):
    chat_server.behaviour = behaviour

    assert draft(erin).backend == ExcuseEmail.Backend.TEMPLATE


def test_it_falls_back_when_nothing_listens(settings, erin):
    settings.EXCUSE_LLM_URL = "http://127.0.0.1:9/v1/chat/completions"

    assert draft(erin).backend == ExcuseEmail.Backend.TEMPLATE


def test_it_does_not_call_any_server_when_none_is_configured(settings, erin):
    settings.EXCUSE_LLM_URL = ""

    assert draft(erin).backend == ExcuseEmail.Backend.TEMPLATE


def test_it_saves_which_backend_wrote_the_email(chat_server, erin):
    email = services.excuse_create(
        user=erin,
        excuse_request=services.ExcuseRequest(
            meeting_title="Q4 roadmap review", organizer_name="Priya", reason="focus",
            tone="friendly",
        ),
    )  # fmt: skip

    assert email.backend == ExcuseEmail.Backend.LLM
    assert email.body.startswith("Hi Priya,")


def test_it_accepts_a_full_endpoint_url_and_refuses_other_schemes():
    assert llm.endpoint("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    assert llm.endpoint("http://h/v1/") == "http://h/v1/chat/completions"
    with pytest.raises(llm.LLMUnavailable):
        llm.endpoint("file:///etc/passwd")


def test_it_allows_brackets_that_belong_to_the_title():
    inputs = ExcuseInputs(
        reason="focus",
        tone="brief",
        meeting_title="[Ops] weekly sync",
        organizer_name="Priya",
        sender_full_name="Erin Walsh",
        sender_short_name="Erin",
    )
    answer = (
        "Subject: Declining [Ops] weekly sync\n\n"
        "Hi Priya,\n\nI can't attend [Ops] weekly sync.\n\nThanks,\nErin"
    )

    assert llm.validate_answer(answer, inputs).subject == "Declining [Ops] weekly sync"


def test_draft_excuse_returns_subject_and_body_and_saves_nothing(settings, erin):
    settings.EXCUSE_LLM_URL = ""

    result = services.draft_excuse(
        user=erin,
        excuse_request=services.ExcuseRequest(
            meeting_title="Q4 roadmap review",
            organizer_name="Priya",
            reason="not_right_attendee",
            tone="formal",
            offer_async_update=False,
            seed=11,
        ),
    )

    assert "Q4 roadmap review" in result.subject and result.body.startswith("Dear Priya,")
    assert result.body.endswith("Erin Walsh")
    assert not ExcuseEmail.objects.exists()


def test_service_refuses_unusable_inputs_with_field_messages(erin):
    with pytest.raises(services.ExcuseInputError) as caught:
        services.draft_excuse(
            user=erin,
            excuse_request=services.ExcuseRequest(
                meeting_title="  ", organizer_name="Priya", reason="nap", tone="formal"
            ),
        )

    assert set(caught.value.errors) == {"meeting_title", "reason"}
    assert caught.value.status_code == 400
