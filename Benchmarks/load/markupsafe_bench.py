"""MarkupSafe's escape (C speedups) on the same 64 MiB texts as EscapeBenchmark, with a
bytes.find scan (memchr underneath) of the same buffer as the physical limit, in the same run.

    pip install markupsafe && python3 Benchmarks/load/markupsafe_bench.py
"""
import statistics
import time

import markupsafe

SIZE = 64 * 1024 * 1024
PARAGRAPH = ("The quick brown fox jumps over the lazy dog, then reads the manual: section 4.2, page 17. "
             "Users post comments; most of them are plain text with numbers 0123456789 and punctuation "
             "(like this) - nothing more!\n")
MASK = (1 << 64) - 1


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def clean():
    text = (PARAGRAPH * (SIZE // len(PARAGRAPH) + 1))[:SIZE]
    return text


def dirty():
    data = bytearray(clean().encode())
    specials = b"&<>\"'"
    rng = splitmix64(42)
    for _ in range(SIZE // 10):
        position = next(rng) % SIZE
        data[position] = specials[next(rng) % 5]
    return data.decode()


def seconds(fn):
    fn()
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    print("MarkupSafe", markupsafe.__version__, "C speedups:", markupsafe._escape_inner.__module__)
    for label, text in (("mostly clean text", clean()), ("10% special characters", dirty())):
        raw = text.encode()
        scan = seconds(lambda: raw.find(b"\0"))
        escape = seconds(lambda: markupsafe.escape(text))
        out = len(str(markupsafe.escape(text)))
        print(f"\n{label} (output {out} characters):")
        for name, s in (("baseline: bytes.find scan (memchr)", scan), ("markupsafe.escape (C speedups)", escape)):
            print(f"  {name:48} {SIZE / s / 1e9:7.2f} GB/s   {scan / s:6.3f}x memchr speed")


if __name__ == "__main__":
    main()
