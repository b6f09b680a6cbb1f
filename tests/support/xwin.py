"""What a person does to top-level windows, for the GUI tests (Debian's python3-xlib,
run with /usr/bin/python3 on the test's Xvfb display):

  xwin.py names                 the names of the mapped top-level windows, one a line
  xwin.py close NAME            asks the window NAME to close, as a window manager's
                                close button does (WM_DELETE_WINDOW)
  xwin.py key NAME KEYSYM       focuses the window NAME and presses KEYSYM there

A window that is not there is exit status 2 (the test says what it saw).
"""

import sys
import time

from Xlib import X, XK, display, protocol
from Xlib.ext import xtest


def top_levels(d):
    """Every mapped window below the root that has a name (the frames are the
    windows themselves: Xvfb runs no window manager)."""
    found = []

    def walk(window, depth):
        try:
            attrs = window.get_attributes()
            name = window.get_wm_name()
            children = window.query_tree().children
        except Exception:  # gone meanwhile
            return
        if attrs.map_state == X.IsViewable and name:
            found.append((name if isinstance(name, str) else name.decode(), window))
        if depth < 2:
            for child in children:
                walk(child, depth + 1)

    walk(d.screen().root, 0)
    return found


def named(d, name):
    for window_name, window in top_levels(d):
        if window_name == name:
            return window
    print(f"no window named {name!r}; there are {[n for n, _ in top_levels(d)]}", file=sys.stderr)
    sys.exit(2)


def main():
    d = display.Display()
    command = sys.argv[1]
    if command == "names":
        for name, _ in top_levels(d):
            print(name)
    elif command == "close":
        window = named(d, sys.argv[2])
        protocols = d.intern_atom("WM_PROTOCOLS")
        delete = d.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(
            window=window,
            client_type=protocols,
            data=(32, [delete, X.CurrentTime, 0, 0, 0]),
        )
        window.send_event(event, event_mask=X.NoEventMask)
        d.sync()
    elif command == "key":
        window = named(d, sys.argv[2])
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        d.sync()
        time.sleep(0.2)
        code = d.keysym_to_keycode(XK.string_to_keysym(sys.argv[3]))
        xtest.fake_input(d, X.KeyPress, code)
        xtest.fake_input(d, X.KeyRelease, code)
        d.sync()
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main()
