package spec

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNumberDigits bounds the digits of a number handed to the schema
// validator. Far beyond every limit in the schema (the largest is
// 2147483647), yet small enough that the validator's exact arithmetic stays
// cheap on a hostile `1e999999999`.
const maxNumberDigits = 400

// yamlFloat is YAML 1.2's float syntax as yaml.v3 reads it (after removing
// `_`), split into sign, integer digits, fraction digits and exponent.
var yamlFloat = regexp.MustCompile(`^([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?$`)

// integerSyntax is Go's integer syntax (big.Int.SetString with base 0,
// underscores removed).
var integerSyntax = regexp.MustCompile(`^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$`)

// yamlNumber returns the exact value of a scalar YAML 1.2 reads as a
// number, as a json.Number for the schema validator, and whether it is
// whole. yaml.v3 is not exact: it reads a float through float64 (1e-400
// becomes 0), and a number beyond 64 bits (1e309, 0x1_0000_0000_0000_0000)
// as a string, which the schema would report as "got a string". Quoted,
// !!str and block scalars are never numbers; nor are .inf and .nan, which
// JSON cannot hold.
func yamlNumber(n *yaml.Node) (num json.Number, whole, ok bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false, false
	}
	tag := n.ShortTag()
	switch {
	case tag == "!!int" || tag == "!!float":
	case tag == "!!str" && n.Style == 0 && n.Value != "" && strings.IndexByte("0123456789+-.", n.Value[0]) >= 0:
		// A plain scalar that only failed to be a number because it
		// overflowed: it must look like one.
	default:
		return "", false, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	if tag == "!!int" {
		// yaml.v3 read it as an integer: read it the same way (Go syntax
		// with base prefixes, and 0777 as octal, as yaml.v3 does).
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), true, true
		}
		return bigInteger(s)
	}
	if m := yamlFloat.FindStringSubmatch(s); m != nil && m[2]+m[3] != "" {
		return decimalNumber(m[1] == "-", m[2], m[3], m[4])
	}
	if tag == "!!str" {
		// 0x…, 0o…, 0b… beyond 64 bits.
		return bigInteger(s)
	}
	return "", false, false
}

// bigInteger reads an integer of any size in Go syntax (base prefixes
// allowed).
func bigInteger(s string) (json.Number, bool, bool) {
	if len(s) > 4*maxNumberDigits+4 {
		// More than 400 decimal digits in any base: check the syntax only.
		if !integerSyntax.MatchString(s) {
			return "", false, false
		}
		return huge(strings.HasPrefix(s, "-")), true, true
	}
	i, ok := new(big.Int).SetString(s, 0)
	if !ok {
		return "", false, false
	}
	if t := i.String(); len(strings.TrimPrefix(t, "-")) <= maxNumberDigits {
		return json.Number(t), true, true
	}
	return huge(i.Sign() < 0), true, true
}

// decimalNumber builds the exact value sign × intDigits.fracDigits × 10^exp,
// replacing numbers beyond maxNumberDigits by a stand-in that compares the
// same way against every limit the schema has (huge, tiny, or a fraction).
func decimalNumber(negative bool, intDigits, fracDigits, expText string) (json.Number, bool, bool) {
	digits := strings.TrimLeft(intDigits+fracDigits, "0")
	if digits == "" {
		return "0", true, true
	}
	// value = digits × 10^exp, with exp counted from the last digit.
	exp := -len(fracDigits)
	if expText != "" {
		e, err := strconv.Atoi(expText)
		switch {
		case err != nil && strings.HasPrefix(expText, "-"):
			e = -1 << 40 // an exponent too long for an int: certainly tiny
		case err != nil:
			e = 1 << 40
		}
		e = max(min(e, 1<<40), -1<<40)
		exp += e
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	digits = trimmed
	sign := ""
	if negative {
		sign = "-"
	}
	magnitude := len(digits) + exp // the number of digits before the point
	switch {
	case magnitude > maxNumberDigits:
		return huge(negative), true, true
	case exp >= 0:
		return json.Number(sign + digits + strings.Repeat("0", exp)), true, true
	case magnitude < -maxNumberDigits:
		return json.Number(sign + "1e-" + strconv.Itoa(maxNumberDigits)), false, true
	}
	// A fraction: keep the digits before the point and 40 after it, then a
	// 1, so it stays a fraction and moves by far less than any limit could
	// notice.
	if keep := max(magnitude, 0) + 40; len(digits) > keep {
		digits = digits[:keep] + "1"
		exp = magnitude - len(digits)
	}
	return json.Number(sign + digits + "e" + strconv.Itoa(exp)), false, true
}

func huge(negative bool) json.Number {
	if negative {
		return json.Number("-1e" + strconv.Itoa(maxNumberDigits))
	}
	return json.Number("1e" + strconv.Itoa(maxNumberDigits))
}
