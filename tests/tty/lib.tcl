# SPDX-License-Identifier: GPL-3.0-or-later
# Shared set-up for the terminal tests (tests/tty/*.exp), sourced by each of them:
#   expect tests/tty/NAME.exp /path/to/kizuna
# Each test gets a fresh temporary HOME, removed at the end. On failure a test
# prints one line "FAIL: NAME: what was expected" and exits 1. KZ_TTY_VERBOSE=1
# shows the whole terminal conversation; KZ_TTY_TRANSCRIPT=FILE keeps it in FILE
# when the test fails (run.sh prints its end).

set timeout 10
log_user [expr {[info exists env(KZ_TTY_VERBOSE)] && $env(KZ_TTY_VERBOSE) ne "" ? 1 : 0}]

set TEST [file rootname [file tail $argv0]]
if {[llength $argv] != 1} {
    puts stderr "usage: expect $argv0 /path/to/kizuna"
    exit 2
}
set KZ [file normalize [lindex $argv 0]]
if {![file executable $KZ]} {
    puts "FAIL: $TEST: $KZ is not an executable"
    exit 1
}

set TMP [exec mktemp -d]
# Everything the terminal showed (what send types is not in it).
set TRANSCRIPT $TMP/transcript.log
log_file -a -noappend $TRANSCRIPT
set env(HOME) $TMP
set env(TERM) xterm
set env(INPUTRC) /dev/null
set env(NO_COLOR) 1
set env(LC_ALL) C.UTF-8
foreach v {KIZUNA_VAULT XDG_DATA_HOME EDITOR VISUAL} {
    unset -nocomplain env($v)
}

set PASS "Tulip harbor lantern 42"
set VAULT $TMP/vault.kz

proc cleanup {} {
    global TMP
    catch {exec rm -rf -- $TMP}
}

# Ends the test as failed; kills the spawned kizuna if it still runs.
proc fail {msg} {
    global TEST TRANSCRIPT env
    regsub -all {[\r\n]+} [string trim $msg] { | } msg
    puts "FAIL: $TEST: $msg"
    set pid ""
    catch {set pid [exp_pid]}
    catch {exec kill -9 $pid}
    catch {close}
    catch {wait}
    # A kizuna killed here cannot shred an editor file it had open: this
    # test's own, so that doctor elsewhere does not find it left over.
    if {$pid ne ""} {
        foreach f [glob -nocomplain /dev/shm/kizuna-edit-$pid-* /dev/shm/.kizuna-edit-$pid-*] {
            catch {file delete -- $f}
        }
    }
    log_file
    if {[info exists env(KZ_TTY_TRANSCRIPT)] && $env(KZ_TTY_TRANSCRIPT) ne ""} {
        catch {file copy -force -- $TRANSCRIPT $env(KZ_TTY_TRANSCRIPT)}
    }
    cleanup
    exit 1
}

proc pass {} {
    log_file
    cleanup
    exit 0
}

# The terminal output so far.
proc transcript {} {
    global TRANSCRIPT
    log_file
    set f [open $TRANSCRIPT r]
    set t [read $f]
    close $f
    log_file -a $TRANSCRIPT
    return $t
}

# Fails if the terminal ever showed secret (or, with words, any word of it).
proc assert_not_shown {secret what {words 0}} {
    set t [transcript]
    if {[string first $secret $t] >= 0} {
        fail "$what not to be echoed, but the terminal showed it"
    }
    if {$words} {
        foreach w [split $secret " "] {
            if {[string length $w] >= 4 && [string first $w $t] >= 0} {
                fail "no part of $what to be echoed, but the terminal showed \"$w\""
            }
        }
    }
}

proc write_file {path text} {
    set f [open $path w]
    puts $f $text
    close $f
}

# Runs kizuna outside the terminal; returns its exit status (output in ::last_output).
proc run_kz {args} {
    global KZ
    set rc [catch {exec $KZ {*}$args </dev/null 2>@1} out opts]
    set ::last_output $out
    if {$rc == 0} {
        return 0
    }
    set code [dict get $opts -errorcode]
    if {[lindex $code 0] eq "CHILDSTATUS"} {
        return [lindex $code 2]
    }
    return -1
}

# A vault at path with passphrase pass and test-sized key-derivation costs.
proc make_vault {path pass} {
    global TMP
    set pf $TMP/.pass-init
    write_file $pf $pass
    set rc [run_kz --vault $path --passphrase-file $pf init --kdf-memory 8M --kdf-iterations 1]
    file delete $pf
    if {$rc != 0} {
        fail "init of a test vault to exit 0, got $rc: $::last_output"
    }
}

# Waits for a literal text (what names it on failure); expect_out is global.
proc want {text what} {
    global expect_out
    expect {
        -ex $text {}
        timeout { fail "$what (timed out waiting for \"$text\")" }
        eof { fail "$what (kizuna ended before \"$text\")" }
    }
}

# Waits for a regular expression.
proc want_re {re what} {
    global expect_out
    expect {
        -re $re {}
        timeout { fail "$what (timed out waiting for /$re/)" }
        eof { fail "$what (kizuna ended before /$re/)" }
    }
}

set PROMPT "kizuna> "
set LOCKED_PROMPT "kizuna (locked)> "

# Waits for the passphrase prompt and answers it.
proc answer_passphrase {pass} {
    want_re {Passphrase for [^\r\n]*: } "the passphrase prompt"
    send -- "$pass\r"
}

# Waits for the process to end; returns its exit status (fails on a signal).
proc wait_exit {what} {
    expect {
        eof {}
        timeout { fail "$what (kizuna did not exit)" }
    }
    set st [wait]
    if {[lindex $st 2] != 0} {
        fail "$what (wait failed: $st)"
    }
    if {[llength $st] > 4} {
        fail "$what (kizuna was killed: [lrange $st 4 end])"
    }
    return [lindex $st 3]
}

# Leaves the shell with quit and expects exit status 0.
proc quit_shell {} {
    send -- "quit\r"
    set rc [wait_exit "quit to end the shell"]
    if {$rc != 0} {
        fail "quit to exit with status 0, got $rc"
    }
}
