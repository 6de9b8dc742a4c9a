# SPDX-License-Identifier: BSD-3-Clause
"""PNG plots with gnuplot: one data file and one script per plot, kept next
to the PNG so that a plot can be redrawn or restyled by hand."""

import os
import shutil
import subprocess


def available():
    """True when gnuplot is installed (scripts/setup.sh installs gnuplot-nox)."""
    return shutil.which("gnuplot") is not None


def plot(png, title, xlabel, ylabel, series, logx=False, logy=False, bars=False):
    """Draw series [(label, [(x, median, min, max), ...]), ...] into png.

    Lines with error bars (min..max over the trials), or clustered boxes
    when bars is true (x is then a category label). Returns the PNG path, or
    raises RuntimeError with gnuplot's message.
    """
    base = os.path.splitext(png)[0]
    dat, gp = base + ".dat", base + ".gp"
    with open(dat, "w") as f:
        for label, points in series:
            f.write(f"# {label}\n")
            for x, y, lo, hi in points:
                xs = f'"{x}"' if bars else f"{x}"
                f.write(f"{xs} {y} {lo} {hi}\n")
            f.write("\n\n")
    lines = [
        "set terminal pngcairo size 900,540 noenhanced" if _has_cairo()
        else "set terminal png size 900,540 noenhanced",
        f"set output '{os.path.basename(png)}'",
        f"set title '{title}'",
        f"set xlabel '{xlabel}'",
        f"set ylabel '{ylabel}'",
        "set grid", "set key top left", "set yrange [0:*]",
    ]
    if logx:
        lines.append("set logscale x")
    if logy:
        lines += ["set logscale y", "set yrange [*:*]"]
    dname = os.path.basename(dat)
    if bars:
        lines += ["set style data histogram", "set style histogram errorbars gap 1 lw 1",
                  "set style fill solid 0.6 border -1", "set boxwidth 0.9"]
        plots = [f"'{dname}' index {i} using 2:3:4:xtic(1) title '{label}'"
                 for i, (label, _) in enumerate(series)]
    else:
        plots = []
        for i, (label, _) in enumerate(series):
            plots.append(f"'{dname}' index {i} using 1:2:3:4 with yerrorlines title '{label}'")
    lines.append("plot " + ", ".join(plots))
    with open(gp, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run(["gnuplot", os.path.basename(gp)], cwd=os.path.dirname(png) or ".",
                       capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(png):
        raise RuntimeError(f"gnuplot {gp}: {r.stderr.strip()}")
    return png


_CAIRO = None


def _has_cairo():
    global _CAIRO
    if _CAIRO is None:
        r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _CAIRO = "pngcairo" in (r.stdout + r.stderr)
    return _CAIRO
