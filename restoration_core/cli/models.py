"""``reelwright models list|add PATH|check PATH|remove NAME``: the local model registry."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "models",
        help="list, add, check or remove local diffusion models",
        description="Manage local diffusion models for generative fill. `default`, the prior that "
        "ships with Reelwright, is always listed (it cannot be removed; its SHA-256 is checked at "
        "every load). A model is a diffusers "
        "folder (Stable Diffusion inpainting pipeline, or a pixel-space UNet2DModel such as "
        "`reelwright train-prior` makes), a single SD inpainting .safetensors file (with --config), "
        "or a repo id already in the local Hugging Face cache. Nothing is ever downloaded.",
    )
    sub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="registered models")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=_list)
    for name, helptext, func in (("add", "validate a model, then register it", _add),
                                 ("check", "validate a model and describe it", _check)):
        a = sub.add_parser(name, help=helptext)
        a.add_argument("path", help="model folder, .safetensors file, registered name or cached repo id")
        a.add_argument("--config", metavar="DIR", help="diffusers inpainting folder whose configs a "
                       "single-file checkpoint uses")
        a.add_argument("--allow-pickle", action="store_true",
                       help="accept pickle checkpoints (.bin/.ckpt/.pt/.pth/.pkl): they can run code; trusted files only")
        a.add_argument("--json", action="store_true", help="print JSON")
        if name == "add":
            a.add_argument("--name", help="name to register under (default: folder or file name)")
        a.set_defaults(func=func)
    rm = sub.add_parser("remove", help="forget a registered model (its files are kept)")
    rm.add_argument("name")
    rm.set_defaults(func=_remove)


def _describe(info, name: str | None = None) -> str:
    head = f"{name}: " if name else ""
    return (f"{head}{info.kind}  {info.path}\n  native size {info.native_size}px, UNet input channels "
            f"{info.channels}, {info.params / 1e6:.1f}M parameters{', PICKLE' if info.pickle else ''}\n"
            f"  sha256 {info.sha256}")


def _list(args: argparse.Namespace) -> int:
    from restoration_core.diffusion import list_models

    models = list_models()
    if args.json:
        print(json.dumps(models, indent=1))
        return 0
    for m in models:
        flag = ("  [built-in]" if m.get("builtin") else "") + ("" if m["present"] else "  [MISSING]")
        print(f"{m['name']:24s} {m['kind']:18s} {m['native_size']:>5}px  {m['path']}{flag}")
    if not any(not m.get("builtin") for m in models):
        print("no models registered (add one with: reelwright models add PATH)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from restoration_core.diffusion import check_model

    info = check_model(args.path, allow_pickle=args.allow_pickle, config=args.config)
    print(json.dumps(info.to_dict(), indent=1) if args.json else f"ok: {_describe(info)}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from restoration_core.diffusion import add_model

    name, info = add_model(args.path, name=args.name, allow_pickle=args.allow_pickle, config=args.config)
    print(json.dumps({"name": name, **info.to_dict()}, indent=1) if args.json
          else f"registered {_describe(info, name)}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from restoration_core.diffusion import remove_model

    remove_model(args.name)
    print(f"removed {args.name}")
    return 0
