"""Ctrl-C and the GIL while training."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from backprop import MLPClassifier

CHILD = textwrap.dedent(
    """
    import signal, sys, numpy as np
    from backprop import MLPClassifier
    # Python's own Ctrl-C handler, as in any interactive session. Without
    # it the child would keep an inherited SIG_IGN: a POSIX shell starts
    # background jobs of a script (`bash python/ci.sh &`) with SIGINT
    # ignored, Python then installs no handler, and its children inherit the
    # ignoring; that is how this test once timed out in CI.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20000, 20)).astype(np.float32)
    y = rng.randint(0, 5, size=20000)
    clf = MLPClassifier((64,), batch_size=32, max_iter=10**6, tol=0, n_iter_no_change=10**9,
                        random_state=0)
    print("fitting", flush=True)
    try:
        clf.fit(X, y)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("inherited", [signal.SIG_DFL, signal.SIG_IGN], ids=["default", "ignored"])
def test_ctrl_c_interrupts_training(inherited):
    # "ignored": started as a background job of a shell script would be.
    p = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, inherited),
    )
    try:
        assert p.stdout.readline().strip() == "fitting"
        time.sleep(1.5)  # well inside training, which never ends on its own
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        waited = time.monotonic() - sent
    finally:
        if p.poll() is None:
            p.kill()
    assert out.strip() == "interrupted"
    assert p.returncode == 3
    assert waited < 30, f"KeyboardInterrupt took {waited:.1f} s"


def test_gil_is_released_while_training():
    rng = np.random.RandomState(0)
    # About a second per epoch here (0.1 TFLOP on two threads), so one epoch
    # under the GIL would stall the loop below well past the allowed 0.5 s.
    X = rng.normal(size=(60000, 64)).astype(np.float32)
    y = rng.randint(0, 4, size=60000)
    clf = MLPClassifier((512, 512), max_iter=3, tol=0, random_state=0)
    done = threading.Event()
    ticks = []

    def fit():
        try:
            clf.fit(X, y)
        finally:
            done.set()

    t = threading.Thread(target=fit)
    t.start()
    # Python code runs on this thread while the other one trains. With the
    # GIL held for a whole epoch this loop would stall for its duration.
    while not done.is_set():
        ticks.append(time.monotonic())
        time.sleep(0.001)
    t.join()
    assert clf.n_iter_ == 3
    gaps = np.diff(ticks)
    # Meaningful only if training lasted much longer than the allowed stall.
    assert ticks[-1] - ticks[0] > 1.0
    assert gaps.max() < 0.5, f"the main thread stalled {gaps.max():.2f} s"
