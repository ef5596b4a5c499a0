// cfdpo's GCC plugin for precompiled headers that hold template instantiations.
//
// GCC writes a PCH before it instantiates the templates the headers' own inline code uses ("phase lang.
// deferred" of -ftime-report), so every program compiled against the PCH instantiates them again: about
// 100 ms of a 145 ms build of an empty main through the PCH of <bits/stdc++.h> (g++ 12). This plugin
// registers `#pragma cfdpo instantiate`, which instantiates the pending templates where it stands. The PCH's
// pre.h ends with it, so the PCH holds those instantiations and the programs that load it find them done.
// Only the PCH's build loads the plugin; a program's compile loads the PCH as usual. Built at run time
// by cfdpo.scoring.pch_plugin against the compiler's own plugin headers (Debian: gcc-12-plugin-dev).
#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree.h"
#include "cp/cp-tree.h"
#include "c-family/c-pragma.h"

int plugin_is_GPL_compatible;

static void
handle_instantiate (cpp_reader *)
{
  tree x;
  if (pragma_lex (&x) != CPP_EOF)
    error ("%<#pragma cfdpo instantiate%> takes no arguments");
  // at namespace scope only (pre.h has nothing else): instantiate what the headers used so far
  if (global_bindings_p ())
    instantiate_pending_templates (0);
}

static void
register_pragmas (void *, void *)
{
  c_register_pragma ("cfdpo", "instantiate", handle_instantiate);
}

int
plugin_init (struct plugin_name_args *info, struct plugin_gcc_version *version)
{
  if (!plugin_default_version_check (version, &gcc_version))
    return 1;
  register_callback (info->base_name, PLUGIN_PRAGMAS, register_pragmas, NULL);
  return 0;
}
