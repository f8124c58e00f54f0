"""How daphne serves Jatayu in production. The Dockerfile and `make run` spell the same flags out, and
the live tests and benchmarks start their workers with these (test_live_frame_limits.py keeps them equal).

- Frames and messages over 128 KiB are refused by daphne before the application sees them.
- A ping every 20 s, and a client that has not answered within 30 s is dropped: a socket whose TCP
  connection vanished without a close frame is found within 50 s and its session released.
"""

DAPHNE_FLAGS = (
    "--websocket-max-message-size",
    "131072",
    "--websocket-max-frame-size",
    "131072",
    "--ping-interval",
    "20",
    "--ping-timeout",
    "30",
)
