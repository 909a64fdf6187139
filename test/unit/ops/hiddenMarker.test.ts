// Hidden markers: the format the report commands share, and what counts as carrying one.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { assertHiddenMarker, carriesMarker, hiddenMarker, withMarker } from "../../../ops/lib/hiddenMarker";

const DEV = "<!-- gitops-platform:preview:dev -->";

describe("hiddenMarker", () => {
    it("builds the contract's marker", () => {
        assert.equal(hiddenMarker("preview", "dev"), DEV);
        assert.equal(hiddenMarker("drift", "prod-eu_1.a"), "<!-- gitops-platform:drift:prod-eu_1.a -->");
    });

    it("refuses parts that could end the comment or break the line", () => {
        assert.throws(() => hiddenMarker(), /at least one part/);
        assert.throws(() => hiddenMarker("preview", "dev -->"), /letters, digits/);
        assert.throws(() => hiddenMarker("preview", "a\nb"), /letters, digits/);
    });
});

describe("assertHiddenMarker", () => {
    it("accepts one HTML comment and refuses visible text", () => {
        assertHiddenMarker(DEV);
        assertHiddenMarker("<!-- gitops-platform:preview:my--stack -->");
        for (const bad of ["gitops-platform:preview:dev", "<!-- -->", "<!-- a --> b -->", "<!-- a --!> b -->", "<!-- a\nb -->", `${DEV} x`]) {
            assert.throws(() => assertHiddenMarker(bad), /not a single-line HTML comment/, bad);
        }
    });
});

describe("carriesMarker / withMarker", () => {
    it("counts a line that is exactly the marker, not a quote or a mention", () => {
        assert.ok(carriesMarker(`${DEV}\n# Report`, DEV));
        assert.ok(carriesMarker(`# Report\r\n  ${DEV}  \r\n`, DEV));
        assert.ok(!carriesMarker(`> ${DEV}\n> # Report`, DEV));
        assert.ok(!carriesMarker(`see ${DEV} above`, DEV));
        assert.ok(!carriesMarker(`<!-- gitops-platform:preview:dev2 -->`, DEV));
        assert.ok(!carriesMarker(null, DEV));
    });

    it("puts the marker first when missing and leaves a carrying body unchanged", () => {
        assert.equal(withMarker("# Report", DEV), `${DEV}\n# Report`);
        assert.equal(withMarker(`# Report\n${DEV}`, DEV), `# Report\n${DEV}`);
        assert.equal(withMarker(`> ${DEV}`, DEV), `${DEV}\n> ${DEV}`);
    });
});
