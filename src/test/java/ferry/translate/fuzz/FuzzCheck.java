package ferry.translate.fuzz;

import ferry.translate.prop.Case;
import ferry.translate.prop.Harness;
import ferry.translate.prop.Oracle;
import java.util.List;

/** Runs a decoded fuzz case through the facade and turns any {@link Oracle} violation into a finding. */
final class FuzzCheck {
    private FuzzCheck() {}

    static void check(Case c) {
        Harness.Outcome o = c.run();
        List<String> v = Oracle.violations(c.setup(), o);
        if (!v.isEmpty()) throw new AssertionError(v + "\n" + c + "\n" + o);
    }
}
