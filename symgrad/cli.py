"""The command line: ``symgrad derive|list|...``. ``main(argv)`` returns the exit code.

Exit codes: 0 done; 1 ran, but a check failed; 2 bad input (one line on stderr).
"""

import argparse
import gc
import os
import re
import sys

from . import __version__
from .collector import THRESHOLD
from .errors import InputError, SymgradError, printable, quote
from .io import parse_number

EPILOG = ("Exit codes: 0 success; 1 ran but a check failed; 2 bad input. "
          "See README.md for the JSON schemas.")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2, like every other symgrad error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every plain option (--lr, --data, --format, ...) stores once: argparse would silently keep
        # the last of two values. Repeatable options (--at, --wrt, --params) use action="append".
        self.register("action", None, _StoreOnce)

    def error(self, message):
        # main() prints "symgrad: error: " in front: the message itself carries no prefix
        hint = ""
        stray = re.search(r"unrecognized arguments: (.*)", message)
        if stray and re.search(r"(^|\s)[A-Za-z_]\w*=", stray.group(1)):
            hint = "; separate the --at items with commas (--at x=-2,y=5) or repeat --at"
        raise SymgradError(f"{printable(message)}{hint} (see '{self.prog} --help')")


class _StoreOnce(argparse.Action):
    """``store``, refusing a second value for the same option (``--lr 0.1 --lr 1``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = namespace.__dict__.setdefault("_given_once", set())
        if option_string is not None and self.dest in given:
            parser.error(f"{'/'.join(self.option_strings)} is given twice; give it once")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


TARGET_HELP = ("a catalog id (see 'symgrad list'; any case), a program file, or an expression "
               "such as \"(x+y)*z\" (one that starts with '-', such as -x, works too)")
# Written out (not read from the catalog) so that building the parser loads no SymPy;
# tests/test_habits.py checks it against the catalog.
MATRIX_FORMS = ("sigmoid-3layer, relu-2layer, relu-3layer, linear-collapse, svm-total, "
                "softmax-ce, mlp-2layer")
DATA_HELP = ("an .npz of arrays for the inputs, each as if given with --at NAME=@file.npy (arrays "
             "the program does not read are ignored; at most 200 MB)")
AT_HELP = ("the point, e.g. x=-2,y=5,z=-4 (a minus sign − counts as -); arrays as nested lists "
           "(W=[[0.1,0.5],[-0.3,0.8]],x=[0.2,0.4]) or NumPy files (W=@w1.npy); repeat --at to "
           "add names (--at x=-2 --at y=5); a name given twice is an error")


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
    p.add_argument("--at", metavar="k=v,...", action="append",
                   help=AT_HELP + " (catalog models have a default point that --at overrides "
                   "in part)")
    p.add_argument("--data", metavar="FILE.npz", help=DATA_HELP)
    p.add_argument("--wrt", metavar="a,b", action="append",
                   help="report gradients with respect to these names only (inputs or "
                   "intermediate nodes; default: a catalog model's parameters, else every "
                   "input); repeatable")
    p.add_argument("--output", metavar="NAME",
                   help="the program variable to differentiate (default: the last)")
    p.add_argument("--format", choices=["text", "json", "python"], default="text",
                   help="text (default), json, or python: the compiled gradient function's source")
    p.add_argument("--lang", choices=["en", "ko", "both"], default="en",
                   help="the text view in English, Korean (한국어), or both, Korean first "
                   "(default en); JSON and python are the same in every language")
    p.add_argument("--matrix", action="store_true",
                   help=f"for the catalog models with a matrix form ({MATRIX_FORMS}): derive "
                   "it at matrix level, one step per matrix gate, instead of entry by entry")
    p.set_defaults(run=run_derive)


def _add_list(sub):
    p = sub.add_parser("list", help="the catalog of documented models", epilog=EPILOG,
                       description="List every catalog model: id, description, inputs, parameters, "
                       "source post. With an id: that model, with its programs (scalar, and "
                       "matrix when it has a matrix form) to copy, change and run.")
    p.add_argument("model", nargs="?", help="a catalog id: show that model and its programs")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="a table (default) or JSON with defaults, notes, programs and errata")
    p.set_defaults(run=run_list)


def _add_train(sub):
    p = sub.add_parser("train", help="gradient descent on the derived gradients", epilog=EPILOG,
                       description="Train the parameters of TARGET with the gradients symgrad "
                       "derived. A run whose loss becomes NaN or infinite, grows more than 1e6× "
                       "over its first value, or grows 20 steps in a row to over 10× its first "
                       "value has diverged: it stops with exit 1 and a learning rate that a "
                       "short probe run showed to decrease the loss.")
    p.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    p.add_argument("--data", metavar="FILE",
                   help="CSV with a header naming the inputs, or .npz (at most 200 MB)")
    p.add_argument("--at", metavar="k=v,...", action="append",
                   help="starting point / the single sample without --data; " + AT_HELP)
    p.add_argument("--params", metavar="a,b", action="append",
                   help="the parameters to update (default: the model's); repeatable")
    p.add_argument("--optimizer", choices=["sgd", "momentum", "adam", "adamax"], default="sgd",
                   help="the update rule (default sgd: w ← w − α·∂L/∂w)")
    p.add_argument("--lr", type=number, metavar="α", default=0.01,
                   help="learning rate α (default 0.01)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--steps", type=int, metavar="N",
                       help="number of update steps (default 100)")
    group.add_argument("--epochs", type=int, metavar="N", help="number of passes over the data")
    p.add_argument("--batch-size", type=int, metavar="B",
                   help="minibatch size (default: the full batch)")
    p.add_argument("--l1", type=number, metavar="λ", help="add λ·Σ|w| to the loss")
    p.add_argument("--l2", type=number, metavar="λ", help="add λ·Σw² to the loss")
    p.add_argument("--elastic", metavar="β,λ", help="add λ·Σ(βw² + |w|) to the loss")
    p.add_argument("--seed", type=int, metavar="S",
                   help="random seed, a whole number ≥ 0 (shuffling, initial values)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text (default) or json")
    p.add_argument("--plot", metavar="FILE", help="write the loss curve (.png or .svg)")
    p.add_argument("--save-params", metavar="FILE.npz",
                   help="write the trained parameters to FILE.npz (np.load reads them back)")
    p.set_defaults(run=run_train)


def _add_render(sub):
    p = sub.add_parser("render", epilog=EPILOG,
                       help="write the derivation as a blog post (Markdown, Jekyll, LaTeX, HTML)",
                       description="Write a blog-style derivation document of TARGET, with "
                       "figures. The document is named after the catalog id or the program "
                       "file's name (model.txt -> model.md).")
    p.add_argument("target", metavar="TARGET", nargs="?", help=TARGET_HELP)
    p.add_argument("--all", action="store_true",
                   help="render every catalog model (the gallery) with an index")
    p.add_argument("--at", metavar="k=v,...", action="append",
                   help=AT_HELP + " (catalog models have defaults)")
    p.add_argument("--data", metavar="FILE.npz", help=DATA_HELP)
    p.add_argument("--wrt", metavar="a,b", action="append",
                   help="the gradients to show (default: the model's parameters); repeatable")
    p.add_argument("--output", metavar="NAME", help="the program variable to differentiate")
    p.add_argument("--lr", type=number, metavar="α",
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
    p.add_argument("--static", action="store_true",
                   help="no stepper (html and jekyll pages step through the passes by default)")
    p.add_argument("--matrix", action="store_true",
                   help=f"for the catalog models with a matrix form ({MATRIX_FORMS}): the "
                   "matrix-level document, with the shapes and a dimension check at every step")
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
    p.add_argument("--at", metavar="k=v,...", action="append",
                   help="the point for --gradcheck; " + AT_HELP)
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text (default) or json")
    p.add_argument("--lang", choices=["en", "ko", "both"], default="en",
                   help="the text report (claims or --gradcheck) in English, Korean (한국어), or "
                   "both, line by line, Korean first "
                   "(default en); JSON always has both (explanation, explanation_ko)")
    p.set_defaults(run=run_check)


def number(text):
    """argparse type of --lr, --l1, --l2: a float, with U+2212 '−' read as '-' ("invalid number
    value" names this function)."""
    return parse_number(text)


def _joined(values):
    """A repeated option (``--at x=1 --at y=2``) as one comma-separated list (``x=1,y=2``)."""
    return None if values is None else ",".join(values)


# Each command imports its own modules when it runs (deliberate lazy loading): `derive` never
# loads the renderer's Jinja2 and Matplotlib, nor the checker; see benchmarks/startup.py.
def run_derive(args):
    from .derivation import derive

    verb = "compiled" if args.format == "python" else "derived"
    problem, at, wrt = _problem_and_point(args, verb)
    if args.format == "python":
        from .compile import compile as compile_target

        print(compile_target(problem, wrt=wrt).source)
        return 0
    d = derive(problem, at=at, wrt=wrt)
    print(d.to_json_text() if args.format == "json" else d.text(args.lang))
    return 0


def _problem_and_point(args, verb):
    """(problem, point, wrt): the target resolved once; the point it is derived at, ``--at``
    and the arrays of ``--data`` (an .npz) that the program reads (a matrix program's shapes
    come from both, so the target is resolved after the values are read); and ``--wrt``, by
    default the inputs not read from the data, as ``train`` updates them."""
    from .data import listed
    from .io import shown_path
    from .point import parse_point, shapes_of
    from .target import resolve

    at, wrt = parse_point(_joined(args.at)) if args.at else {}, _joined(args.wrt)
    data = _data_arrays(args.data, at) if args.data is not None else {}
    problem = resolve(args.target, output=args.output, matrix=args.matrix, verb=verb,
                      shapes=shapes_of({**data, **at}))
    if args.data is not None:
        inputs = problem.model.inputs if problem.is_matrix else problem.graph.inputs
        read = {k: v for k, v in data.items() if k in inputs}
        if not read:
            raise InputError(f"--data {shown_path(args.data)}: none of its arrays "
                             f"({listed(sorted(data))}) is an input of "
                             f"{quote(problem.label.splitlines()[0], 80)} (inputs: "
                             f"{listed(inputs)})")
        at = {**read, **at}
        # the gradients train would take: the parameters (a catalog model's, else every input)
        # that the data does not give
        rest = [n for n in (problem.wrt or inputs) if n not in read]
        if wrt is None and rest:
            wrt = rest
    return problem, at, wrt


def _data_arrays(path, at):
    """The arrays of the .npz ``path``; a name also given with ``--at`` is an error, not a
    silent choice of one."""
    from .data import read_data

    if not str(path).lower().endswith(".npz"):
        raise InputError(f"--data {path}: derive and render read an .npz of arrays (a CSV's rows "
                         f"are training samples: give it to symgrad train --data)")
    label, arrays = read_data(path)
    if not arrays:
        raise InputError(f"--data {label}: the archive holds no arrays")
    twice = sorted(set(arrays) & set(at))
    if twice:
        raise InputError(f"{twice[0]!r} is given by --at and by --data {label}; give it once")
    return arrays


def run_list(args):
    from .catalog import format_catalog

    print(format_catalog(args.format, args.model))
    return 0


def run_train(args):
    """``symgrad train``: train, print (text or JSON), optionally plot."""
    from .train import (
        check_params_path,
        check_plot_path,
        format_result,
        plot_loss,
        save_params,
        train,
    )

    # a bad file name fails before the training, not after
    if args.plot:
        check_plot_path(args.plot)
    if args.save_params:
        check_params_path(args.save_params)
    result = train(args.target, data=args.data, at=_joined(args.at), params=_joined(args.params),
                   optimizer=args.optimizer, lr=args.lr, epochs=args.epochs, steps=args.steps,
                   batch_size=args.batch_size, regularization=_regularization(args), seed=args.seed)
    if args.plot:
        plot_loss(result, args.plot)
    if args.save_params:
        save_params(result.params, args.save_params)
    if args.format == "json":
        print(result.to_json_text())
    else:
        print(format_result(result))
        for written in (args.plot, args.save_params):
            if written:
                print(f"wrote {printable(written)}")
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
            regularization["elastic"] = (parse_number(parts[0]), parse_number(parts[1]))
        except ValueError:
            raise InputError(f"--elastic takes β,λ (two numbers), "
                             f"got {quote(args.elastic)}") from None
    return regularization or None


def run_render(args):
    """``symgrad render``: one target, or ``--all`` for the gallery."""
    from .render import build, render_all, render_posts, write_document

    if args.all:
        if args.target:
            raise InputError("give either TARGET or --all, not both")
        given = [o for o, v in (("--at", args.at), ("--data", args.data), ("--wrt", args.wrt),
                                ("--output", args.output), ("--lr", args.lr)) if v is not None]
        if given:
            raise InputError(f"{given[0]} goes with one TARGET, not --all (the gallery renders "
                             f"each model at its own point)")
        if args.matrix:
            raise InputError("--matrix goes with one TARGET, not --all (the gallery already "
                             "has the matrix-level documents)")
        if args.format == "jekyll":     # every catalog model as a dated post, for _posts/
            paths = render_posts(args.out, lang=args.lang, templates=args.templates,
                                 date=args.date)
        else:
            paths = render_all(args.out, templates=args.templates)
        print(f"wrote {len(paths)} files under {printable(args.out)}")
        return 0
    if not args.target:
        raise InputError("symgrad render needs a TARGET (an expression, a program file or a "
                         "catalog id) or --all")
    target, at, wrt = args.target, _joined(args.at), _joined(args.wrt)
    if args.data is not None:         # the values first: a matrix program's shapes need them
        target, at, wrt = _problem_and_point(args, "rendered")
    doc = build(target, format=args.format, lang=args.lang, templates=args.templates,
                at=at, wrt=wrt, output=args.output, lr=args.lr,
                date=args.date, static=args.static, matrix=args.matrix)
    paths = write_document(doc, args.out)
    extra = ""
    if doc.files:
        extra = f" and {len(doc.files)} figure file{'s' if len(doc.files) != 1 else ''}"
    print(f"wrote {printable(os.fspath(paths[0]))}{extra}")
    return 0


def run_check(args):
    from .check import check, format_gradcheck, gradcheck, gradcheck_json, report_json

    if args.gradcheck:
        if args.files:
            raise InputError("check: give claims FILE(s) or --gradcheck TARGET, not both")
        result = gradcheck(args.gradcheck, at=_joined(args.at))
        print(gradcheck_json(result) if args.format == "json"
              else format_gradcheck(result, lang=args.lang))
        return 0 if result.passed else 1
    if args.at:
        raise InputError("check: --at goes with --gradcheck; "
                         "a claims file gives its point under [at]")
    if not args.files:
        raise InputError("check: give claims FILE(s) or --gradcheck TARGET")
    report = check(args.files)
    print(report_json(report) if args.format == "json" else report.text(args.lang))
    return 0 if report.ok else 1


def main(argv=None):
    # The objects of the modules imported so far (SymPy's hundreds of thousands) live as long as
    # the process: moved out of the collector's generations, a full collection need not walk
    # them; and the whole command runs with collections as rare as derive's (collector.py).
    gc.freeze()
    gc.set_threshold(*THRESHOLD)
    parser = build_parser()
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args, extra = parser.parse_known_args(_dash_targets(argv, parser))
        if extra:       # reported by the command's parser, so the hint names its --help
            _command_parsers(parser).get(args.command, (None, None, parser))[2].error(
                f"unrecognized arguments: {' '.join(extra)}")
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        _refuse_empty_values(args, _command_parsers(parser)[args.command][2])
        return args.run(args)
    except SymgradError as exc:
        print(f"symgrad: error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


# --- a TARGET or option value that starts with '-' ---------------------------------------------
# argparse reads every token that starts with '-' (and is not a negative number) as an option,
# so `symgrad derive "-x" --at x=1` would fail with "TARGET is required". Before argparse runs,
# a token in TARGET position that is not an option symgrad knows, and does not look like one
# (--name), is moved behind '--', where argparse takes it as the positional it is; the value of
# an option that takes one (--gradcheck -x) is glued to it (--gradcheck=-x).
_LONG_OPTION = re.compile(r"--[A-Za-z][\w-]*(=.*)?$", re.S)


def _dash_targets(argv, parser):
    commands = _command_parsers(parser)
    at = next((i for i, t in enumerate(argv) if not t.startswith("-")), None)
    if at is None or argv[at] not in commands:
        return argv
    options, has_target, _ = commands[argv[at]]
    out, target, positional, i = list(argv[:at + 1]), None, False, at + 1
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest = argv[i + 1:]
            return out + ["--"] + ([target] if target is not None else []) + rest
        option = _known_option(token, options)
        if option is not None:
            takes_value = options[option] and "=" not in token and len(token) == len(option)
            if takes_value and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                    and _known_option(argv[i + 1], options) is None and option.startswith("--"):
                out.append(f"{token}={argv[i + 1]}")
                i += 2
                continue
            out += argv[i:i + 2] if takes_value else [token]
            i += 2 if takes_value else 1
            continue
        dash = token.startswith("-") and len(token) > 1
        if dash and has_target and target is None and not positional \
                and not _LONG_OPTION.match(token):
            target = token
        else:
            out.append(token)
            positional = positional or not token.startswith("-")
        i += 1
    return out + (["--", target] if target is not None else [])


def _refuse_empty_values(args, command):
    """An option given an empty value (``--plot ''``, ``-o ''``, ``--at ''``) is an error: left
    to the command, a file option would be silently ignored and ``-o ''`` would be the current
    folder."""
    for action in command._actions:
        value = getattr(args, action.dest, None) if action.option_strings else None
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and not v.strip() for v in values):
            option = max(action.option_strings, key=len)
            form = f" ({option} {action.metavar})" if action.metavar else ""
            raise InputError(f"{option} is empty: give it a value{form}, or leave the option out")


def _command_parsers(parser):
    """command -> ({option string: takes a value}, has a TARGET positional, its parser).

    Read from argparse's own action lists (``_actions`` is private but stable since Python 3.2;
    reading them keeps one list of options, the parser's)."""
    commands = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = {o: a.nargs != 0 for a in sub._actions for o in a.option_strings}
                has_target = any(a.dest == "target" for a in sub._actions)
                commands[name] = (options, has_target, sub)
    return commands


def _known_option(token, options):
    """The option ``token`` names (exactly, as --name=value, a unique --prefix, or -oVALUE)."""
    name = token.split("=", 1)[0]
    if name in options:
        return name
    if name.startswith("--") and len(name) > 2:
        matches = [o for o in options if o.startswith(name)]
        return matches[0] if len(matches) == 1 else None
    short = token[:2]
    if not token.startswith("--") and short in options and options[short] and len(token) > 2:
        return short
    return None


def _one_line(exc):
    return " ".join(str(exc).split("\n"))


def _version():
    return __version__


if __name__ == "__main__":
    sys.exit(main())
