import sys, cProfile, pstats, time
sys.path.insert(0, "/tmp/prof")
from gen import *
import symgrad
kind, n = sys.argv[1], int(sys.argv[2])
text = {"chain": lambda: chain(n), "residual": lambda: residual(n), "wide": lambda: wide(n)}[kind]()
pt = {"chain": "x=0.5", "residual": "x=0.5"}.get(kind) or ",".join(f"x{i}=0.5,w{i}=0.25" for i in range(1,n+1))
op = sys.argv[3]
pr = cProfile.Profile()
t=time.perf_counter()
pr.enable()
if op == "derive":
    d = symgrad.derive(text, at=pt); s = str(d)
else:
    wrt = ["x"] if kind != "wide" else [f"w{i}" for i in range(1,n+1)]
    c = symgrad.compile(text, wrt=wrt)
pr.disable()
print("total", time.perf_counter()-t)
pstats.Stats(pr).sort_stats("cumulative").print_stats(35)
