"""Thread settings for the processes our commands run."""

from __future__ import annotations


def single_threaded_numpy_blas() -> None:
    """Run numpy's BLAS (OpenBLAS) on one thread in this process; torch keeps its own threads (MKL, OpenMP).

    Our numpy matrix products are small per-step ones (the TickDuel decoder's steps: [24, 128] x [128, 384] when
    a batch of duels is played), where a second thread only adds hand-over cost, and where OpenBLAS's threads
    fight torch's busy-waiting OpenMP threads for the same cores. Measured on 2 cores while a training used both
    (2026-12-07, /tmp script timing ``EventDecoder.generate`` at batch 24): 312 ms a tick with numpy's default
    threads against 65 ms with one, for the sequential decoder (733 against 137 for the attention one); no
    difference at batch 1.
    """
    import numpy  # noqa: F401  (loads OpenBLAS: threadpoolctl limits only the libraries already loaded)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")  # only OpenBLAS is loaded as a library: torch links its own MKL
