"""The SMTP sink `make bench` sends to: accepts every message and appends one line
per message to a log (arrival time, the outbox row the message names, its
Message-ID), so the bench counts duplicates and losses at the receiving end.

    python -m bench.sink --port 8025 --log var/bench/sink.log
"""

import argparse
import logging
import re
import signal
import threading
import time

from aiosmtpd.controller import Controller

# notifications/compose.py names the outbox row of every email in this header;
# the plain smtplib baseline (Bsmtp) names its messages the same way.
ROW = re.compile(rb"^X-Between-Sessions-Message:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)


class Recorder:
    def __init__(self, log):
        self.log = log
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        row, message_id = ROW.search(head), MESSAGE_ID.search(head)
        line = "\t".join(
            (
                f"{time.time():.6f}",
                row.group(1).decode() if row else "",
                message_id.group(1).decode() if message_id else "",
            )
        )
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()
        return "250 2.0.0 Accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    with open(args.log, "a", encoding="utf-8") as log:
        controller = Controller(Recorder(log), hostname="127.0.0.1", port=args.port)
        controller.start()
        print("ready", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()


if __name__ == "__main__":
    main()
