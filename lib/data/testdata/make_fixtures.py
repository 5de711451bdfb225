"""Writes the NIfTI fixtures of lib/data/nifti_fixtures_test.ts with nibabel (run by hand:
/usr/bin/python3 lib/data/testdata/make_fixtures.py). Each image holds value
100*i + 10*j + k at file voxel (i, j, k), so a test can check any reorientation."""
import os

import nibabel as nib
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
i, j, k = np.meshgrid(np.arange(4), np.arange(3), np.arange(2), indexing="ij")
values = 100 * i + 10 * j + k

# NIfTI-2, float64, sform only (code 1), axes L, S, P (a permutation with flips).
aff = np.array([[-2.0, 0, 0, 10], [0, 0, -1.5, 20], [0, 3.0, 0, -5], [0, 0, 0, 1]])
img = nib.Nifti2Image(values.astype(np.float64), aff)
img.header.set_qform(None, code=0)
img.header.set_sform(aff, code=1)
nib.save(img, os.path.join(here, "n2_lsp_float64.nii.gz"))

# NIfTI-1, int16, qform only (code 1), RAS-like oblique-free LAS; scl 2, -1.
aff = np.array([[-1.0, 0, 0, 5], [0, 2.0, 0, 6], [0, 0, 2.5, 7], [0, 0, 0, 1]])
img = nib.Nifti1Image(values.astype(np.int16), aff)
img.header.set_sform(None, code=0)
img.header.set_qform(aff, code=1)
img.header.set_slope_inter(2.0, -1.0)
nib.save(img, os.path.join(here, "n1_las_qform_scaled.nii"))

# NIfTI-1, big-endian uint16, sform RAS.
aff = np.diag([1.0, 1.0, 1.0, 1.0])
hdr = nib.Nifti1Header(endianness=">")
img = nib.Nifti1Image(values.astype(">u2"), aff, header=hdr)
img.set_data_dtype(">u2")
nib.save(img, os.path.join(here, "n1_ras_bigendian_uint16.nii"))

for name in sorted(os.listdir(here)):
    if name.endswith((".nii", ".nii.gz")):
        im = nib.load(os.path.join(here, name))
        print(name, im.shape, im.get_data_dtype(), nib.aff2axcodes(im.affine),
              im.header["sform_code"], im.header["qform_code"])
