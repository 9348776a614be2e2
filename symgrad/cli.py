"""The command line: ``symgrad derive|list|...``. ``main(argv)`` returns the exit code.

Exit codes: 0 done; 1 ran, but a check failed; 2 bad input (one line on stderr).
"""

import argparse
import os
import sys

from . import __version__
from .catalog import format_catalog
from .compile import compile as compile_target
from .derivation import derive
from .errors import InputError, SymgradError
from .target import resolve
from .train import check_plot_path, format_result, plot_loss, train

EPILOG = ("Exit codes: 0 success; 1 ran but a check failed; 2 bad input. "
          "See README.md for the JSON schemas.")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, like every other symgrad error."""

    def error(self, message):
        raise SymgradError(f"{self.prog}: {message} (see {self.prog} --help)")


TARGET_HELP = ("a catalog id (see 'symgrad list'), a program file, or an expression such as "
               "\"(x+y)*z\"")


def build_parser():
    parser = _Parser(prog="symgrad", epilog=EPILOG,
                     description="Step-by-step backpropagation: derive gradients gate by gate, "
                     "check textbook answers, compile and train.")
    parser.add_argument("--version", action="version", version=f"symgrad {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (_add_derive, _add_list, _add_train, _add_render, _add_check):
        add(sub)
    return parser


def _add_derive(sub):
    p = sub.add_parser("derive", help="forward and backward pass of a target, gate by gate",
                       description="Derive every partial derivative of TARGET by the chain rule, "
                       "gate by gate (upstream × local = downstream), symbolically and at a "
                       "point.",
                       epilog=EPILOG)
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("--at", metavar="k=v,...",
                   help="the point, e.g. x=-2,y=5,z=-4 (catalog models have defaults)")
    p.add_argument("--wrt", metavar="a,b", help="report gradients with respect to these names only")
    p.add_argument("--output", metavar="NAME",
                   help="the program variable to differentiate (default: the last)")
    p.add_argument("--format", choices=["text", "json", "python"], default="text",
                   help="text (default), json, or python: the compiled gradient function's source")
    p.add_argument("--matrix", action="store_true",
                   help="catalog models with a matrix form (relu-2layer, svm-total, ...): "
                   "derive it at matrix level, one step per matrix gate, instead of entry by entry")
    p.set_defaults(run=run_derive)


def _add_list(sub):
    p = sub.add_parser("list", help="the catalog of documented models", epilog=EPILOG,
                       description="List every catalog model: id, description, inputs, parameters, "
                       "source post.")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="a table (default) or JSON with defaults, notes, programs and errata")
    p.set_defaults(run=run_list)


def _add_train(sub):
    p = sub.add_parser("train", help="gradient descent on the derived gradients", epilog=EPILOG,
                       description="Train the parameters of TARGET with the gradients symgrad "
                       "derived.")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("--data", metavar="FILE", help="CSV with a header naming the inputs, or .npz")
    p.add_argument("--at", metavar="k=v,...",
                   help="starting point / the single sample without --data")
    p.add_argument("--params", metavar="a,b",
                   help="the parameters to update (default: the model's)")
    p.add_argument("--optimizer", choices=["sgd", "momentum", "adam", "adamax"], default="sgd",
                   help="the update rule (default sgd: w ← w − α·∂L/∂w)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate α (default 0.01)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--steps", type=int, help="number of update steps")
    group.add_argument("--epochs", type=int, help="number of passes over the data")
    p.add_argument("--batch-size", type=int, help="minibatch size (default: the full batch)")
    p.add_argument("--l1", type=float, metavar="λ", help="add λ·Σ|w| to the loss")
    p.add_argument("--l2", type=float, metavar="λ", help="add λ·Σw² to the loss")
    p.add_argument("--elastic", metavar="β,λ", help="add λ·Σ(βw² + |w|) to the loss")
    p.add_argument("--seed", type=int, help="random seed (shuffling, initial values)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text (default) or json")
    p.add_argument("--plot", metavar="FILE", help="write the loss curve (.png or .svg)")
    p.set_defaults(run=run_train)


def _add_render(sub):
    p = sub.add_parser("render", epilog=EPILOG,
                       help="write the derivation as a blog post (Markdown, Jekyll, LaTeX, HTML)",
                       description="Write a blog-style derivation document of TARGET, with "
                       "figures.")
    p.add_argument("target", metavar="TARGET", nargs="?", help=TARGET_HELP)
    p.add_argument("--all", action="store_true",
                   help="render every catalog model (the gallery) with an index")
    p.add_argument("--at", metavar="k=v,...", help="the point (catalog models have defaults)")
    p.add_argument("--wrt", metavar="a,b",
                   help="the gradients to show (default: the model's parameters)")
    p.add_argument("--output", metavar="NAME", help="the program variable to differentiate")
    p.add_argument("--lr", type=float, metavar="α",
                   help="learning rate of the update step shown (default: the post's, else 0.1)")
    p.add_argument("--lang", choices=["en", "ko", "both"], default="en",
                   help="English, Korean, or both, paragraph by paragraph (default en)")
    p.add_argument("--format", choices=["md", "jekyll", "tex", "html"], default="md",
                   help="Markdown (default), Jekyll post, LaTeX article, or one HTML page")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="the date of a Jekyll post, in its file name and front matter (default: "
                   "today; with --all: a fixed date)")
    p.add_argument("-o", "--out", metavar="DIR", default=".", help="output directory (default: .)")
    p.add_argument("--templates", metavar="DIR", help="use your own copies of the templates")
    p.set_defaults(run=run_render)


def _add_check(sub):
    p = sub.add_parser("check", epilog=EPILOG,
                       help="verify the numbers a post claims (claims files), or gradcheck a "
                       "target",
                       description="Check textbook answers in claims files (TOML), or compare "
                       "every symbolic gradient of a target with finite differences (--gradcheck).")
    p.add_argument("files", metavar="FILE", nargs="*", help="claims files (.toml)")
    p.add_argument("--gradcheck", metavar="TARGET",
                   help="finite-difference check of TARGET's gradients")
    p.add_argument("--at", metavar="k=v,...", help="the point for --gradcheck")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text (default) or json")
    p.set_defaults(run=run_check)


def run_derive(args):
    verb = "compiled" if args.format == "python" else "derived"
    problem = resolve(args.target, output=args.output, matrix=args.matrix, verb=verb)
    if args.format == "python":
        print(compile_target(problem, wrt=args.wrt).source)
        return 0
    d = derive(problem, at=args.at, wrt=args.wrt)
    print(d.to_json_text() if args.format == "json" else str(d))
    return 0


def run_list(args):
    print(format_catalog(args.format))
    return 0


def run_train(args):
    """``symgrad train``: train, print (text or JSON), optionally plot."""
    if args.plot:
        check_plot_path(args.plot)          # a bad file name fails before the training, not after
    result = train(args.target, data=args.data, at=args.at, params=args.params,
                   optimizer=args.optimizer, lr=args.lr, epochs=args.epochs, steps=args.steps,
                   batch_size=args.batch_size, regularization=_regularization(args), seed=args.seed)
    if args.plot:
        plot_loss(result, args.plot)
    if args.format == "json":
        print(result.to_json_text())
    else:
        print(format_result(result))
        if args.plot:
            print(f"wrote {args.plot}")
    return 0


def _regularization(args):
    """``--l1``, ``--l2`` and ``--elastic β,λ`` as the ``regularization`` dict of ``train``."""
    regularization = {}
    if args.l1 is not None:
        regularization["l1"] = args.l1
    if args.l2 is not None:
        regularization["l2"] = args.l2
    if args.elastic is not None:
        parts = [p.strip() for p in args.elastic.split(",")]
        try:
            if len(parts) != 2:
                raise ValueError
            regularization["elastic"] = (float(parts[0]), float(parts[1]))
        except ValueError:
            raise InputError(f"--elastic takes β,λ (two numbers), got {args.elastic!r}") from None
    return regularization or None


def run_render(args):
    """``symgrad render``: one target, or ``--all`` for the gallery."""
    from .render import build, render_all, render_posts, write_document

    if args.all:
        if args.target:
            raise InputError("give either TARGET or --all, not both")
        if args.format == "jekyll":     # every catalog model as a dated post, for _posts/
            paths = render_posts(args.out, lang=args.lang, templates=args.templates,
                                 date=args.date)
        else:
            paths = render_all(args.out, templates=args.templates)
        print(f"wrote {len(paths)} files under {args.out}")
        return 0
    if not args.target:
        raise InputError("symgrad render needs a TARGET (an expression, a program file or a "
                         "catalog id) or --all")
    doc = build(args.target, format=args.format, lang=args.lang, templates=args.templates,
                at=args.at, wrt=args.wrt, output=args.output, lr=args.lr, date=args.date)
    paths = write_document(doc, args.out)
    extra = ""
    if doc.files:
        extra = f" and {len(doc.files)} figure file{'s' if len(doc.files) != 1 else ''}"
    print(f"wrote {os.fspath(paths[0])}{extra}")
    return 0


def run_check(args):
    # imported here like the other commands' modules: only the command that runs is loaded
    from .check import check, format_gradcheck, gradcheck, gradcheck_json, report_json

    if args.gradcheck:
        if args.files:
            raise InputError("check: give claims FILE(s) or --gradcheck TARGET, not both")
        result = gradcheck(args.gradcheck, at=args.at)
        print(gradcheck_json(result) if args.format == "json" else format_gradcheck(result))
        return 0 if result.passed else 1
    if args.at:
        raise InputError("check: --at goes with --gradcheck; "
                         "a claims file gives its point under [at]")
    if not args.files:
        raise InputError("check: give claims FILE(s) or --gradcheck TARGET")
    report = check(args.files)
    print(report_json(report) if args.format == "json" else report)
    return 0 if report.ok else 1


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        return args.run(args)
    except SymgradError as exc:
        print(f"symgrad: error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _one_line(exc):
    return " ".join(str(exc).split("\n"))


def _version():
    return __version__


if __name__ == "__main__":
    sys.exit(main())
